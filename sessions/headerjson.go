package sessions

import "encoding/json"

// appendHeaderJSON appends h as json.Marshal encodes it.
func appendHeaderJSON(dst []byte, h map[string][]string) []byte {
	b, _ := json.Marshal(h)
	return append(dst, b...)
}
