package pile

import "fmt"

// person is the made-up citizen a generated dossier is about.
type person struct {
	Name, Child, Father, Mother, ID, Address, Birth, Phone string
}

var (
	surnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"}
	middles  = []string{"Văn", "Thị", "Hữu", "Minh", "Thanh", "Đức", "Ngọc", "Quốc"}
	givens   = []string{"An", "Bình", "Cường", "Dung", "Giang", "Hà", "Khoa", "Linh", "Mai", "Nam", "Phương", "Quân", "Thảo", "Tuấn", "Yến"}
	streets  = []string{"phố Quán Thánh, phường Ba Đình, Hà Nội", "đường Lê Lợi, phường Phú Hội, Huế", "đường Trần Phú, phường Lộc Thọ, Nha Trang", "đường Nguyễn Trãi, phường 3, Thành phố Hồ Chí Minh"}
)

// form is a paper template: what is printed on each page, the filled
// values in place of the dots. Written from the official templates' titles
// and layouts (national header, caption with the form number and the
// instrument, upper-case title, "Kính gửi", dotted fields, place and date,
// signature), independently of the catalog's looks, which the classifier
// reads: the classifier is tested against paper, not against its own data.
type form struct {
	// caption is printed at the top right of the first page ("Mẫu … ban
	// hành kèm theo …"); "" for documents without one.
	caption string
	// header says the national header opens the first page.
	header bool
	// title is printed in upper case under it; long titles wrap.
	title string
	// pages are the body lines of each page.
	pages [][]string
	// numbered prints "Trang x/y" at the foot of each page.
	numbered bool
}

// card is one side of a card, as the lines printed on it.
type cardSide struct {
	lines []string
	mrz   bool
}

func dots(label, value string) string { return label + " " + value + " ......................" }

// forms returns the paper template of a component code for a person, and
// false for a card or an unknown code.
func forms(code string, p person) (form, bool) {
	sign := []string{"......, ngày 20 tháng 11 năm 2026", "NGƯỜI YÊU CẦU", "(Ký, ghi rõ họ, chữ đệm, tên)", p.Name}
	switch code {
	case "TKKS":
		return form{caption: "Ban hành kèm theo Thông tư số 04/2020/TT-BTP", header: true, title: "TỜ KHAI ĐĂNG KÝ KHAI SINH", pages: [][]string{append([]string{
			"Kính gửi: Ủy ban nhân dân phường Ba Đình",
			dots("Họ, chữ đệm, tên người yêu cầu:", p.Mother),
			dots("Nơi cư trú:", p.Address),
			dots("Giấy tờ tùy thân:", "Căn cước số "+p.ID),
			dots("Quan hệ với người được khai sinh:", "mẹ đẻ"),
			"Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:",
			dots("Họ, chữ đệm, tên:", p.Child),
			dots("Ngày, tháng, năm sinh:", "15/08/2026"),
			dots("ghi bằng chữ:", "ngày mười lăm tháng tám năm hai nghìn hai mươi sáu"),
			dots("Giới tính:", "Nam") + " Dân tộc: Kinh  Quốc tịch: Việt Nam",
			dots("Nơi sinh:", "Bệnh viện Phụ sản Hà Nội"),
			dots("Họ, chữ đệm, tên người mẹ:", p.Mother),
			dots("Họ, chữ đệm, tên người cha:", p.Father),
			"Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật.",
		}, sign...)}}, true
	case "GCS":
		return form{caption: "Mẫu số 01 (Thông tư 17/2012/TT-BYT)", header: true, title: "GIẤY CHỨNG SINH", pages: [][]string{{
			"Bệnh viện Phụ sản Hà Nội", "Số: 2291   Quyển số: 07",
			dots("Họ và tên bố/mẹ hoặc người nuôi dưỡng:", p.Mother),
			dots("Số định danh cá nhân:", p.ID),
			dots("Nơi cư trú:", p.Address),
			"Đã sinh con vào lúc: 09 giờ 20 phút, ngày 15/08/2026",
			dots("Tại:", "Bệnh viện Phụ sản Hà Nội"),
			dots("Số con trong lần sinh này:", "01"), dots("Giới tính của con:", "Nam"),
			dots("Cân nặng:", "3.200 gram"), dots("Dự định đặt tên con là:", p.Child),
			"Người đỡ đẻ (Ký, ghi rõ họ tên)", "Thủ trưởng cơ sở khám bệnh, chữa bệnh",
		}}}, true
	case "GCNKH":
		return form{header: true, title: "GIẤY CHỨNG NHẬN KẾT HÔN", pages: [][]string{{
			"Số: 112/2019   Quyển số: 01/2019",
			dots("Họ, chữ đệm, tên chồng:", p.Father), dots("Ngày, tháng, năm sinh:", "03/02/1990"),
			dots("Dân tộc:", "Kinh") + " Quốc tịch: Việt Nam", dots("Nơi cư trú:", p.Address),
			dots("Họ, chữ đệm, tên vợ:", p.Mother), dots("Ngày, tháng, năm sinh:", "11/07/1992"),
			dots("Nơi đăng ký:", "Ủy ban nhân dân phường Ba Đình"), "Ngày, tháng, năm đăng ký: 14/05/2019",
			"Chồng (Ký, ghi rõ họ, chữ đệm, tên)   Vợ (Ký, ghi rõ họ, chữ đệm, tên)", "Người ký Giấy chứng nhận kết hôn",
		}}}, true
	case "GUQ":
		return form{header: true, title: "GIẤY ỦY QUYỀN", pages: [][]string{{
			"Hôm nay, tại Ủy ban nhân dân phường Ba Đình, chúng tôi gồm:",
			dots("Bên ủy quyền:", p.Father), dots("Số định danh cá nhân:", p.ID), dots("Nơi cư trú:", p.Address),
			dots("Bên được ủy quyền:", p.Mother), "Nội dung ủy quyền: thay mặt bên ủy quyền nộp hồ sơ và nhận kết quả.",
			"Thời hạn ủy quyền: đến khi hoàn thành công việc.", "Bên ủy quyền   Bên được ủy quyền",
			"LỜI CHỨNG CỦA NGƯỜI THỰC HIỆN CHỨNG THỰC", "Ngày 20 tháng 11 năm 2026, tại Ủy ban nhân dân phường Ba Đình",
		}}}, true
	case "TKLLTP":
		return form{caption: "Mẫu số 03/2024/LLTP ban hành kèm theo Thông tư số 06/2024/TT-BTP", header: true, numbered: true,
			title: "TỜ KHAI YÊU CẦU CẤP PHIẾU LÝ LỊCH TƯ PHÁP", pages: [][]string{{
				"Kính gửi: Công an tỉnh",
				dots("1. Họ và tên:", p.Name), dots("2. Giới tính:", "Nữ"), dots("3. Ngày, tháng, năm sinh:", p.Birth),
				dots("4. Nơi sinh:", "thành phố Huế"), dots("5. Số định danh cá nhân:", p.ID),
				dots("6. Nơi thường trú:", p.Address), dots("7. Số điện thoại:", p.Phone),
				"8. Họ và tên cha: " + p.Father + "   Họ và tên mẹ: " + p.Mother,
				"9. QUÁ TRÌNH CƯ TRÚ (tính từ khi đủ 14 tuổi)", "Từ tháng, năm đến tháng, năm   Nơi thường trú, tạm trú",
				"2009 - 2026   " + p.Address,
			}, {
				"10. Tình trạng án tích: không", "11. Yêu cầu cấp Phiếu lý lịch tư pháp: Phiếu số 1", dots("Số lượng Phiếu:", "01"),
				"12. Mục đích sử dụng Phiếu lý lịch tư pháp: bổ sung hồ sơ xin việc",
				"Tôi xin cam đoan những lời khai trên là đúng sự thật và chịu trách nhiệm về lời khai của mình.",
				sign[0], "Người khai (Ký và ghi rõ họ tên)", p.Name,
			}}}, true
	case "TKCT":
		return form{caption: "Mẫu CT01 ban hành kèm theo Thông tư số 66/2023/TT-BCA", header: true, numbered: true,
			title: "TỜ KHAI THAY ĐỔI THÔNG TIN CƯ TRÚ", pages: [][]string{{
				"Kính gửi: Công an phường Ba Đình",
				dots("1. Họ, chữ đệm và tên:", p.Name), dots("2. Ngày, tháng, năm sinh:", p.Birth), dots("3. Giới tính:", "Nam"),
				dots("4. Số định danh cá nhân:", p.ID), dots("5. Số điện thoại liên hệ:", p.Phone), dots("6. Email:", ""),
				dots("7. Họ, chữ đệm và tên chủ hộ:", p.Father), dots("8. Mối quan hệ với chủ hộ:", "con"),
				dots("9. Số định danh cá nhân của chủ hộ:", p.ID), dots("10. Nội dung đề nghị:", "đăng ký thường trú"),
				"11. Những thành viên trong hộ gia đình cùng thay đổi:",
			}, {
				"TT   Họ, chữ đệm và tên   Ngày, tháng, năm sinh   Giới tính   Số định danh cá nhân   Mối quan hệ với chủ hộ",
				"1   " + p.Child + "   15/08/2016   Nam   " + p.ID + "   cháu",
				"....., ngày ..... tháng ..... năm .....",
				"Ý KIẾN CỦA CHỦ HỘ   Ý KIẾN CỦA CHỦ SỞ HỮU CHỖ Ở HỢP PHÁP   NGƯỜI KÊ KHAI",
				"(Ghi rõ nội dung và ký, ghi rõ họ tên)", p.Father + "   " + p.Name,
			}}}, true
	case "GCNQSDD":
		return form{header: true, title: "GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT", pages: [][]string{{
			"Mã Giấy chứng nhận: AB 123456", "1. Người sử dụng đất, chủ sở hữu tài sản gắn liền với đất: ông " + p.Father,
			"2. Thông tin thửa đất: Thửa đất số 112, tờ bản đồ số 7, diện tích 84,5 m²", dots("Địa chỉ:", p.Address),
			"3. Thông tin tài sản gắn liền với đất: Nhà ở riêng lẻ, diện tích xây dựng 60 m²",
			"Thông tin chi tiết được thể hiện tại mã QR", "Số vào sổ cấp Giấy chứng nhận: CS 04512",
		}, {
			"4. Sơ đồ thửa đất", "(sơ đồ)", "5. Ghi chú: không",
			"6. Những thay đổi sau khi cấp Giấy chứng nhận", "Nội dung thay đổi và cơ sở pháp lý   Xác nhận của cơ quan có thẩm quyền",
		}}}, true
	case "GKS":
		return form{header: true, title: "GIẤY KHAI SINH", pages: [][]string{{
			"Số: 245   Quyển số: 02/2016",
			dots("Họ, chữ đệm, tên:", p.Name), dots("Ngày, tháng, năm sinh:", p.Birth), dots("Giới tính:", "Nam"),
			dots("Nơi sinh:", "Bệnh viện Đa khoa tỉnh"), dots("Số định danh cá nhân:", p.ID),
			dots("Họ, chữ đệm, tên người mẹ:", p.Mother), dots("Họ, chữ đệm, tên người cha:", p.Father),
			dots("Nơi đăng ký khai sinh:", "Ủy ban nhân dân phường Ba Đình"), "Ngày, tháng, năm đăng ký: 20/09/2006",
		}}}, true
	case "VBDY":
		return form{header: true, title: "VĂN BẢN ĐỒNG Ý CHO ĐĂNG KÝ THƯỜNG TRÚ", pages: [][]string{{
			"Kính gửi: Công an phường Ba Đình", dots("Tôi là:", p.Father), dots("Số định danh cá nhân:", p.ID),
			"là chủ sở hữu chỗ ở hợp pháp tại: " + p.Address,
			"Tôi đồng ý cho ông/bà " + p.Name + " được đăng ký thường trú tại chỗ ở hợp pháp của tôi.", sign[0], p.Father,
		}}}, true
	case "GDNHKD":
		return form{caption: "Phụ lục III-1 (Ban hành kèm theo Thông tư số 02/2023/TT-BKHĐT)", header: true,
			title: "GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH", pages: [][]string{{
				"Kính gửi: Phòng Tài chính - Kế hoạch", dots("Tôi là:", p.Name), dots("Số định danh cá nhân:", p.ID),
				"Đăng ký hộ kinh doanh với các nội dung sau:", dots("1. Tên hộ kinh doanh:", "HỘ KINH DOANH TẠP HÓA "+p.Name),
				dots("2. Địa chỉ trụ sở:", p.Address), dots("3. Ngành, nghề kinh doanh:", "bán lẻ hàng tạp hóa"),
				dots("4. Vốn kinh doanh:", "100.000.000 đồng"), dots("5. Số lượng lao động:", "02"), sign[0],
			}}}, true
	case "BBHGD":
		return form{header: true, title: "BIÊN BẢN HỌP THÀNH VIÊN HỘ GIA ĐÌNH", pages: [][]string{{
			"Về việc thành lập hộ kinh doanh", "Hôm nay, ngày 18 tháng 11 năm 2026, tại " + p.Address,
			"Thành phần: các thành viên hộ gia đình gồm " + p.Father + ", " + p.Mother + ", " + p.Name,
			"Nội dung: thống nhất cử ông/bà " + p.Name + " làm chủ hộ kinh doanh.", "Các thành viên ký tên",
		}}}, true
	case "DDNGPLX":
		return form{caption: "Phụ lục XII (Ban hành kèm theo Thông tư số 12/2025/TT-BCA)", header: true,
			title: "ĐỀ NGHỊ ĐỔI (CẤP LẠI) GIẤY PHÉP LÁI XE", pages: [][]string{{
				"Kính gửi: Phòng Cảnh sát giao thông", dots("Tôi là:", p.Name), dots("Ngày, tháng, năm sinh:", p.Birth),
				dots("Số định danh cá nhân hoặc số hộ chiếu:", p.ID), dots("Nơi cư trú:", p.Address),
				dots("Đã học lái xe tại:", "Trường Trung cấp nghề giao thông"), "năm 2012",
				dots("Hiện đã có giấy phép lái xe hạng:", "B2") + " số: 010123456789 do Sở Giao thông vận tải cấp",
				dots("Đề nghị đổi giấy phép lái xe hạng:", "B"), dots("Lý do:", "hết hạn sử dụng"),
				"Vi phạm hành chính trong lĩnh vực giao thông đường bộ: không", sign[0],
			}}}, true
	case "GKSK":
		return form{caption: "Phụ lục II (Ban hành kèm theo Thông tư số 36/2024/TT-BYT)", header: true, numbered: true,
			title: "GIẤY KHÁM SỨC KHỎE CỦA NGƯỜI LÁI XE", pages: [][]string{{
				"Số: 00412/GKSKLX/34001/26", dots("Họ và tên:", p.Name), dots("Giới tính:", "Nam"), dots("Ngày sinh:", p.Birth),
				dots("Số định danh cá nhân:", p.ID), dots("Chỗ ở hiện tại:", p.Address),
				"Đề nghị khám sức khỏe để lái xe hạng: B", "I. TIỀN SỬ BỆNH CỦA ĐỐI TƯỢNG KHÁM SỨC KHỎE",
				"Có ai trong gia đình mắc một trong các bệnh: không",
			}, {
				"II. KHÁM LÂM SÀNG", "1. Tâm thần: bình thường", "2. Thần kinh: bình thường", "3. Mắt: thị lực không kính 10/10",
				"III. KHÁM CẬN LÂM SÀNG", "IV. KẾT LUẬN: Đủ điều kiện sức khỏe lái xe hạng B", "Người kết luận (Ký, ghi rõ họ tên)",
			}}}, true
	case "DDNDC":
		return form{header: true, title: "ĐƠN ĐỀ NGHỊ ĐÍNH CHÍNH GIẤY CHỨNG NHẬN", pages: [][]string{{
			"Kính gửi: Văn phòng đăng ký đất đai", dots("1. Người sử dụng đất:", p.Father), dots("Địa chỉ:", p.Address),
			"2. Giấy chứng nhận đã cấp: số phát hành AB 123456, số vào sổ CS 04512",
			"3. Nội dung sai sót: ghi sai năm sinh của người sử dụng đất", "Nội dung đề nghị đính chính: năm sinh 1975", sign[0],
		}}}, true
	}
	return form{}, false
}

// cards returns the two sides of a card component for a person, and false
// for paper.
func cards(code string, p person) (front, back cardSide, ok bool) {
	switch code {
	case "CCCD":
		return cardSide{lines: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "CĂN CƯỚC CÔNG DÂN",
				"Số định danh cá nhân / Personal identification number:", p.ID, "Họ, chữ đệm và tên khai sinh / Full name:", p.Name,
				"Ngày sinh / Date of birth: " + p.Birth, "Quê quán: xã Đông Hưng, tỉnh Thái Bình", "Nơi thường trú: " + p.Address}},
			cardSide{lines: []string{"Đặc điểm nhân dạng: không", "Có giá trị đến / Date of expiry: 15/08/2036",
				"IDVNM" + p.ID[3:] + "<<<<<<<<<<<<<<<<", "9001154M3608152VNM<<<<<<<<<<<8", "NGUYEN<<VAN<AN<<<<<<<<<<<<<<<<<"}, mrz: true}, true
	case "GPLX":
		return cardSide{lines: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "GIẤY PHÉP LÁI XE / DRIVER'S LICENSE",
				"Số/No: 010123456789", "Họ tên/Full name: " + p.Name, "Ngày sinh/Date of birth: " + p.Birth, "Nơi cư trú/Address: " + p.Address}},
			cardSide{lines: []string{"Hạng/Class   Ngày trúng tuyển/Date", "B   2012", "Mã hạn chế: 01", "BỘ CÔNG AN"}}, true
	}
	return cardSide{}, cardSide{}, false
}

func newPerson(n int) person {
	pick := func(xs []string, k int) string { return xs[k%len(xs)] }
	name := func(k int) string { return pick(surnames, k) + " " + pick(middles, k/3) + " " + pick(givens, k/5) }
	return person{
		Name: name(n), Child: name(n + 7), Father: name(n + 11), Mother: name(n + 13),
		ID:      fmt.Sprintf("0%02d%d%02d%06d", 1+n%90, n%4, 80+n%20, (n*7919)%1000000),
		Address: fmt.Sprintf("số %d %s", 3+n%97, pick(streets, n)), Birth: fmt.Sprintf("%02d/%02d/19%02d", 1+n%28, 1+n%12, 60+n%40),
		Phone: fmt.Sprintf("09%08d", (n*104729)%100000000),
	}
}
