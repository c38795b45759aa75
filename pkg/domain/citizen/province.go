package citizen

// Province is a province-level code used as the first three digits of a
// personal identification number: the province or centrally run city where
// the citizen's birth was registered.
type Province struct {
	// Code is the three-digit code, e.g. "001".
	Code string
	// Name is the province's name when the code was assigned (one of the 63
	// provinces that existed until 12/06/2025).
	Name string
	// Current is the name of the province that holds that territory since the
	// 2025 rearrangement into 34 provinces (Resolution 202/2025/QH15, in force
	// 12/06/2025). Equal to Name when the province was not merged.
	Current string
}

// provinces lists the codes of Appendix I of Circular 07/2016/TT-BCA
// ("Danh mục mã tỉnh, thành phố trực thuộc trung ương nơi công dân đăng ký
// khai sinh"), as amended by Circular 59/2021/TT-BCA, which detail Decree
// 137/2015/NĐ-CP Art. 13 (now Law on Identification 26/2023/QH15 Art. 12 and
// Decree 70/2024/NĐ-CP). The 63 codes stay valid after the 2025 merger: the
// Ministry of Public Security does not renumber issued IDs, so an ID whose
// code is that of a province that no longer exists (e.g. 002 Hà Giang) is
// still a valid ID. Current follows Resolution 202/2025/QH15 Art. 1.
//
// Uncertain: which code the population database assigns to births registered
// after 01/07/2025 in a merged province is not confirmed in the sources read;
// we assume it is one of these 63 codes (no new codes were found).
var provinces = [...]Province{
	{"001", "Hà Nội", "Hà Nội"},
	{"002", "Hà Giang", "Tuyên Quang"},
	{"004", "Cao Bằng", "Cao Bằng"},
	{"006", "Bắc Kạn", "Thái Nguyên"},
	{"008", "Tuyên Quang", "Tuyên Quang"},
	{"010", "Lào Cai", "Lào Cai"},
	{"011", "Điện Biên", "Điện Biên"},
	{"012", "Lai Châu", "Lai Châu"},
	{"014", "Sơn La", "Sơn La"},
	{"015", "Yên Bái", "Lào Cai"},
	{"017", "Hòa Bình", "Phú Thọ"},
	{"019", "Thái Nguyên", "Thái Nguyên"},
	{"020", "Lạng Sơn", "Lạng Sơn"},
	{"022", "Quảng Ninh", "Quảng Ninh"},
	{"024", "Bắc Giang", "Bắc Ninh"},
	{"025", "Phú Thọ", "Phú Thọ"},
	{"026", "Vĩnh Phúc", "Phú Thọ"},
	{"027", "Bắc Ninh", "Bắc Ninh"},
	{"030", "Hải Dương", "Hải Phòng"},
	{"031", "Hải Phòng", "Hải Phòng"},
	{"033", "Hưng Yên", "Hưng Yên"},
	{"034", "Thái Bình", "Hưng Yên"},
	{"035", "Hà Nam", "Ninh Bình"},
	{"036", "Nam Định", "Ninh Bình"},
	{"037", "Ninh Bình", "Ninh Bình"},
	{"038", "Thanh Hóa", "Thanh Hóa"},
	{"040", "Nghệ An", "Nghệ An"},
	{"042", "Hà Tĩnh", "Hà Tĩnh"},
	{"044", "Quảng Bình", "Quảng Trị"},
	{"045", "Quảng Trị", "Quảng Trị"},
	{"046", "Thừa Thiên Huế", "Huế"},
	{"048", "Đà Nẵng", "Đà Nẵng"},
	{"049", "Quảng Nam", "Đà Nẵng"},
	{"051", "Quảng Ngãi", "Quảng Ngãi"},
	{"052", "Bình Định", "Gia Lai"},
	{"054", "Phú Yên", "Đắk Lắk"},
	{"056", "Khánh Hòa", "Khánh Hòa"},
	{"058", "Ninh Thuận", "Khánh Hòa"},
	{"060", "Bình Thuận", "Lâm Đồng"},
	{"062", "Kon Tum", "Quảng Ngãi"},
	{"064", "Gia Lai", "Gia Lai"},
	{"066", "Đắk Lắk", "Đắk Lắk"},
	{"067", "Đắk Nông", "Lâm Đồng"},
	{"068", "Lâm Đồng", "Lâm Đồng"},
	{"070", "Bình Phước", "Đồng Nai"},
	{"072", "Tây Ninh", "Tây Ninh"},
	{"074", "Bình Dương", "Hồ Chí Minh"},
	{"075", "Đồng Nai", "Đồng Nai"},
	{"077", "Bà Rịa - Vũng Tàu", "Hồ Chí Minh"},
	{"079", "Hồ Chí Minh", "Hồ Chí Minh"},
	{"080", "Long An", "Tây Ninh"},
	{"082", "Tiền Giang", "Đồng Tháp"},
	{"083", "Bến Tre", "Vĩnh Long"},
	{"084", "Trà Vinh", "Vĩnh Long"},
	{"086", "Vĩnh Long", "Vĩnh Long"},
	{"087", "Đồng Tháp", "Đồng Tháp"},
	{"089", "An Giang", "An Giang"},
	{"091", "Kiên Giang", "An Giang"},
	{"092", "Cần Thơ", "Cần Thơ"},
	{"093", "Hậu Giang", "Cần Thơ"},
	{"094", "Sóc Trăng", "Cần Thơ"},
	{"095", "Bạc Liêu", "Cà Mau"},
	{"096", "Cà Mau", "Cà Mau"},
}

// LookupProvince returns the province of a three-digit code.
func LookupProvince(code string) (Province, bool) {
	for _, p := range provinces {
		if p.Code == code {
			return p, true
		}
	}
	return Province{}, false
}

// Provinces returns the 63 province codes in code order.
func Provinces() []Province {
	out := make([]Province, len(provinces))
	copy(out, provinces[:])
	return out
}
