package decode

import (
	"encoding/json"
	"regexp"
	"strings"
)

// PIIKeys are the payload fields whose value (a string, a number, or a
// list of them) is personal data: names, dates and places of birth,
// identity and document numbers, addresses, contact details, IP addresses,
// and what a document says about a body. camelCase and snake_case
// spellings both count.
var PIIKeys = []string{
	"firstName", "lastName", "fullName", "middleName", "firstNameOnly", "firstNameSuffix", "extraName", "customerName",
	"names", "maternalSurname", "paternalSurname", "matchedName", "aka",
	"dateOfBirth", "dob", "yearOfBirth", "placeOfBirth", "dateOfDeath",
	"idNumber", "number", "personalNumber", "electorNumber", "electorKey", "cic", "ocr", "driversLicenseNumber",
	"ineIdentifier", "ifeIdentifier", "fullAddress", "plausibleFullAddress", "street", "houseNumber", "postcode", "unit", "city",
	"email", "phone", "phoneNumber", "ip", "ipAddress", "height", "weight", "eyeColor", "hairColor",
	"matchedSessionEndUserId", "matchedSessionVendorData", "name", "cpfNumber", "processNumber", "documentNumber", "curp",
}

// PIIObjects are fields everything under which is personal: a watchlist
// search's name and year, a person's associates, an address.
var PIIObjects = []string{"searchTerm", "associates", "addresses", "parsedAddress", "address"}

// Masked is what a masked value becomes.
const Masked = "•••"

var piiKey, piiObject = normSet(PIIKeys), normSet(PIIObjects)

func normSet(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[normKey(k)] = true
	}
	return m
}

// normKey folds firstName, first_name and FIRSTNAME together.
func normKey(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
}

// piiValue is the fallback for bodies that are not JSON: string values of
// the keys, as spelled in PIIKeys.
var piiValue = regexp.MustCompile(`("(?:` + strings.Join(append(append([]string{}, PIIKeys...), PIIObjects...), "|") + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// MaskPII replaces personal values in a JSON body with Masked, leaving
// every other byte as it was (so the body still reads the same, but its
// signature no longer matches): strings and numbers under PIIKeys, in
// lists too (a watchlist hit's aka), and everything under PIIObjects.
// Keys are compared unescaped and in any spelling. Nulls and booleans
// stay. Any bytes are accepted: a body that is not JSON gets its quoted
// values masked where they can be found.
func MaskPII(body []byte) []byte {
	if !json.Valid(body) {
		return piiValue.ReplaceAll(body, []byte(`$1"`+Masked+`"`))
	}
	m := masker{in: body, out: make([]byte, 0, len(body))}
	m.value(false)
	m.out = append(m.out, m.in[m.i:]...)
	return m.out
}

// masker copies a valid JSON text, masking as it goes.
type masker struct {
	in, out []byte
	i       int
}

func (m *masker) space() {
	for m.i < len(m.in) {
		switch m.in[m.i] {
		case ' ', '\t', '\n', '\r':
			m.out = append(m.out, m.in[m.i])
			m.i++
		default:
			return
		}
	}
}

// str returns the end of the string starting at m.i.
func (m *masker) str() int {
	j := m.i + 1
	for j < len(m.in) {
		switch m.in[j] {
		case '\\':
			j += 2
			continue
		case '"':
			return j + 1
		}
		j++
	}
	return j
}

// value copies one value; mask hides its strings and numbers.
func (m *masker) value(mask bool) {
	m.space()
	if m.i >= len(m.in) {
		return
	}
	switch c := m.in[m.i]; c {
	case '{':
		m.members('}', func() {
			end := m.str()
			var key string
			_ = json.Unmarshal(m.in[m.i:end], &key)
			m.out = append(m.out, m.in[m.i:end]...)
			m.i = end
			m.space()
			m.out = append(m.out, ':')
			m.i++
			k := normKey(key)
			m.space()
			object := m.i < len(m.in) && m.in[m.i] == '{'
			m.value(mask || piiObject[k] || piiKey[k] && !object)
		})
	case '[':
		m.members(']', func() { m.value(mask) })
	case '"':
		end := m.str()
		if mask {
			m.out = append(m.out, `"`+Masked+`"`...)
		} else {
			m.out = append(m.out, m.in[m.i:end]...)
		}
		m.i = end
	default: // a number, true, false, null
		j := m.i
		for j < len(m.in) && !strings.ContainsRune(",]} \t\n\r", rune(m.in[j])) {
			j++
		}
		if mask && (c == '-' || c >= '0' && c <= '9') {
			m.out = append(m.out, `"`+Masked+`"`...)
		} else {
			m.out = append(m.out, m.in[m.i:j]...)
		}
		m.i = j
	}
}

// members copies an object or an array, whose opening byte is at m.i, up to
// its closing byte: member copies one member (a key and its value, or an
// item), and members the commas and spaces between them.
func (m *masker) members(closing byte, member func()) {
	m.out = append(m.out, m.in[m.i])
	m.i++
	for {
		m.space()
		if m.in[m.i] == closing {
			m.out = append(m.out, closing)
			m.i++
			return
		}
		member()
		m.space()
		if m.in[m.i] == ',' {
			m.out = append(m.out, ',')
			m.i++
		}
	}
}

// MaskText hides a personal value on screen, keeping whether there was one.
func MaskText(s string) string {
	if s == "" {
		return ""
	}
	return Masked
}
