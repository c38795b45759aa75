package scan

import "encoding/binary"

// jpegRotation returns how far a JPEG must be turned clockwise to be seen
// as it was taken (0, 90, 180 or 270), from the Orientation tag of its Exif
// APP1 segment: phones store the sensor's pixels and say "turn me" there.
// Mirrored orientations (a selfie camera's) are taken as their rotation.
func jpegRotation(b []byte) int {
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 {
			return 0
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			return 0
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 14 && string(seg[:6]) == "Exif\x00\x00" {
			return exifRotation(seg[6:])
		}
		i += 2 + n
	}
	return 0
}

// exifRotation reads Orientation (tag 274) from IFD0 of an Exif TIFF block.
func exifRotation(t []byte) int {
	var order binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	ifd := int(order.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 0
	}
	n := int(order.Uint16(t[ifd:]))
	for k := range min(n, 512) {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if order.Uint16(t[e:]) != 274 {
			continue
		}
		switch order.Uint16(t[e+8:]) {
		case 3, 4:
			return 180
		case 6, 5:
			return 90
		case 8, 7:
			return 270
		}
		return 0
	}
	return 0
}
