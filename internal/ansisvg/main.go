// Command ansisvg renders a terminal screen captured with
// `tmux capture-pane -e -p` (text with SGR escapes) as an SVG picture, for
// the README. Usage: ansisvg [-title T] < screen.ans > screen.svg
package main

import (
	"bufio"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

const cellW, cellH = 8.4, 18.0

// The terminal's default colours: dark unless -light.
var fg0, bg0 = "#e6edf3", "#0d1117"

type style struct {
	fg, bg          string
	bold, rev, fint bool
}

func main() {
	title := flag.String("title", "kycwatch", "window title")
	light := flag.Bool("light", false, "a light terminal (dark text on white)")
	flag.Parse()
	if *light {
		fg0, bg0 = "#1f2328", "#ffffff"
	}
	in, _ := io.ReadAll(bufio.NewReader(os.Stdin))
	lines := strings.Split(strings.TrimRight(string(in), "\n"), "\n")
	cols := 0
	for _, l := range lines {
		cols = max(cols, ansi.StringWidth(l))
	}
	w, h := float64(cols)*cellW+32, float64(len(lines))*cellH+56
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintf(out, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n", w, h, w, h)
	fmt.Fprintf(out, `<rect width="100%%" height="100%%" rx="8" fill="%s"/>`+"\n", bg0)
	fmt.Fprintf(out, `<circle cx="20" cy="16" r="6" fill="#ff5f57"/><circle cx="40" cy="16" r="6" fill="#febc2e"/><circle cx="60" cy="16" r="6" fill="#28c840"/>`+"\n")
	fmt.Fprintf(out, `<text x="%.0f" y="21" fill="#8b949e" font-family="DejaVu Sans Mono, monospace" font-size="13" text-anchor="middle">%s</text>`+"\n", w/2, html.EscapeString(*title))
	fmt.Fprintf(out, `<g font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" xml:space="preserve">`+"\n")
	for row, line := range lines {
		renderLine(out, line, 16, 40+float64(row)*cellH)
	}
	fmt.Fprintln(out, "</g></svg>")
}

// renderLine writes one screen row: background rects, then text runs.
func renderLine(out io.Writer, line string, x0, y float64) {
	var st style
	col := 0
	var run strings.Builder
	runStart, runStyle := 0, st
	flush := func() {
		if run.Len() == 0 {
			return
		}
		fg, bg := runStyle.fg, runStyle.bg
		if fg == "" {
			fg = fg0
		}
		if runStyle.rev {
			if bg == "" {
				bg = bg0
			}
			fg, bg = bg, fg
		}
		x := x0 + float64(runStart)*cellW
		n := ansi.StringWidth(run.String())
		if bg != "" {
			fmt.Fprintf(out, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y-cellH+4, float64(n)*cellW, cellH, bg)
		}
		attrs := ""
		if runStyle.bold {
			attrs += ` font-weight="bold"`
		}
		if runStyle.fint {
			attrs += ` opacity="0.6"`
		}
		if strings.TrimSpace(run.String()) != "" {
			fmt.Fprintf(out, `<text x="%.1f" y="%.1f" fill="%s"%s textLength="%.1f" lengthAdjust="spacingAndGlyphs">%s</text>`,
				x, y, fg, attrs, float64(n)*cellW, html.EscapeString(run.String()))
		}
		fmt.Fprintln(out)
		run.Reset()
	}
	for i := 0; i < len(line); {
		if line[i] == 0x1b && i+1 < len(line) && line[i+1] == '[' {
			j := i + 2
			for j < len(line) && (line[j] < 0x40 || line[j] > 0x7e) {
				j++
			}
			if j < len(line) && line[j] == 'm' {
				flush()
				st = apply(st, line[i+2:j])
				runStart, runStyle = col, st
			}
			i = j + 1
			continue
		}
		r, size := rune(line[i]), 1
		if line[i] >= 0x80 {
			rs := []rune(line[i:min(len(line), i+4)])
			r = rs[0]
			size = len(string(r))
		}
		if run.Len() == 0 {
			runStart, runStyle = col, st
		}
		run.WriteRune(r)
		col += max(1, ansi.StringWidth(string(r)))
		i += size
	}
	flush()
}

// apply folds one SGR parameter list into the style.
func apply(st style, params string) style {
	ps := strings.Split(params, ";")
	if params == "" {
		ps = []string{"0"}
	}
	for k := 0; k < len(ps); k++ {
		n, _ := strconv.Atoi(ps[k])
		switch {
		case n == 0:
			st = style{}
		case n == 1:
			st.bold = true
		case n == 2:
			st.fint = true
		case n == 7:
			st.rev = true
		case n == 22:
			st.bold, st.fint = false, false
		case n == 27:
			st.rev = false
		case n == 39:
			st.fg = ""
		case n == 49:
			st.bg = ""
		case n >= 30 && n <= 37:
			st.fg = palette(n - 30)
		case n >= 90 && n <= 97:
			st.fg = palette(n - 90 + 8)
		case n >= 40 && n <= 47:
			st.bg = palette(n - 40)
		case (n == 38 || n == 48) && k+1 < len(ps):
			var c string
			if ps[k+1] == "5" && k+2 < len(ps) {
				i, _ := strconv.Atoi(ps[k+2])
				c, k = palette(i), k+2
			} else if ps[k+1] == "2" && k+4 < len(ps) {
				r, _ := strconv.Atoi(ps[k+2])
				g, _ := strconv.Atoi(ps[k+3])
				b, _ := strconv.Atoi(ps[k+4])
				c, k = fmt.Sprintf("#%02x%02x%02x", r, g, b), k+4
			}
			if n == 38 {
				st.fg = c
			} else {
				st.bg = c
			}
		}
	}
	return st
}

// palette maps xterm's 256 colours to hex.
func palette(i int) string {
	base := []string{"#484f58", "#ff7b72", "#3fb950", "#d29922", "#58a6ff", "#bc8cff", "#39c5cf", "#b1bac4",
		"#6e7681", "#ffa198", "#56d364", "#e3b341", "#79c0ff", "#d2a8ff", "#56d4dd", "#ffffff"}
	switch {
	case i < 16:
		return base[i]
	case i < 232:
		i -= 16
		lv := []int{0, 95, 135, 175, 215, 255}
		return fmt.Sprintf("#%02x%02x%02x", lv[i/36], lv[i/6%6], lv[i%6])
	case i < 256:
		v := 8 + (i-232)*10
		return fmt.Sprintf("#%02x%02x%02x", v, v, v)
	}
	return fg0
}
