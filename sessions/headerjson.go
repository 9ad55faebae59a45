package sessions

import "slices"

// appendHeaderJSON appends h as json.Marshal encodes it, byte for byte:
// null for a nil map or a nil slice, the keys in sorted order, and strings
// escaped for HTML too (<, > and & as \u003c, \u003e and \u0026). The store
// keeps the headers so, and json.Unmarshal reads them back.
func appendHeaderJSON(dst []byte, h map[string][]string) []byte {
	if h == nil {
		return append(dst, "null"...)
	}
	var buf [32]string // a request's keys, on the stack
	keys, size := buf[:0], 2
	for k, vs := range h {
		keys = append(keys, k)
		size += len(k) + 6 // "k":[],
		for _, v := range vs {
			size += len(v) + 3 // "v",
		}
	}
	slices.Sort(keys)
	b := append(slices.Grow(dst, size), '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(htmlQuoting.appendQuoted(b, k), ':')
		b = appendStrings(b, h[k])
	}
	return append(b, '}')
}

// appendStrings appends vs as a JSON array of strings, null when nil.
func appendStrings(b []byte, vs []string) []byte {
	if vs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = htmlQuoting.appendQuoted(b, v)
	}
	return append(b, ']')
}
