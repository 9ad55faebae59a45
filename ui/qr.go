package ui

import (
	"strings"

	"github.com/boombuler/barcode/qr"
)

// quietZone is the light margin around a QR code, in modules. The standard
// asks for 4; phone cameras read 2, and an 80x24 screen needs the rows.
const quietZone = 2

// QR draws text as a QR code in half blocks: one column and two rows of
// modules per cell. It draws with the terminal's foreground only, no
// colour: on a dark background the light modules are the painted ones, on a
// light background the dark ones, so a phone reads it in either theme and
// with NO_COLOR.
func QR(text string, dark bool) ([]string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		code, err = qr.Encode(text, qr.L, qr.Auto) // long text: less redundancy, fewer modules
		if err != nil {
			return nil, err
		}
	}
	n := code.Bounds().Dx()
	size := n + 2*quietZone
	// painted reports whether the module at (x, y), quiet zone included,
	// is drawn with the foreground.
	painted := func(x, y int) bool {
		x, y = x-quietZone, y-quietZone
		isDark := false
		if x >= 0 && y >= 0 && x < n && y < n {
			r, _, _, _ := code.At(x, y).RGBA()
			isDark = r < 0x8000
		}
		return isDark != dark
	}
	var lines []string
	for y := 0; y < size; y += 2 {
		var b strings.Builder
		for x := 0; x < size; x++ {
			top := painted(x, y)
			bottom := y+1 < size && painted(x, y+1) // an odd last row: background below
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteString(" ")
			}
		}
		lines = append(lines, b.String())
	}
	return lines, nil
}
