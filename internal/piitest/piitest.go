// Package piitest finds the personal data in a payload, for tests that
// check masking: its own list of what is personal, written from the
// provider docs independently of the masker's, so that a key the masker
// forgets shows up as a value that survived.
package piitest

import (
	"encoding/json"
	"strings"
)

// personal are keys whose value (a string, a number, or a list of them) is
// a name, a date of birth, a document or id number, an address, an email,
// a phone number or an IP address; whole are keys everything under which
// is (a watchlist's search term and associates, an address).
var personal, whole = map[string]bool{}, map[string]bool{}

func init() {
	for _, k := range strings.Fields(`firstName lastName fullName middleName firstNameOnly extraName customerName name
		names matchedName aka maternalSurname paternalSurname
		dateOfBirth dob yearOfBirth placeOfBirth
		idNumber number documentNumber driversLicenseNumber personalNumber cic electorKey electorNumber curp
		cpfNumber ineIdentifier ocr processNumber
		fullAddress plausibleFullAddress street houseNumber postcode
		email phone phoneNumber ip ipAddress`) {
		personal[Norm(k)] = true
	}
	for _, k := range strings.Fields(`searchTerm associates addresses parsedAddress`) {
		whole[Norm(k)] = true
	}
}

// Norm folds camelCase and snake_case spellings together.
func Norm(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(k))
}

// notPersonal are values registry checks put under personal keys: verdicts
// about the data, not the data.
var notPersonal = map[string]bool{"MATCH": true, "NO_MATCH": true, "PARTIAL_MATCH": true, "NO_INPUT": true, "NO_DATA": true,
	"string": true, "null": true}

// Values are the personal values in a JSON body (strings and numbers of at
// least 4 characters, so that a house number "23" is not looked for in
// every timestamp).
func Values(body []byte) []string {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	var out []string
	var walk func(v any, under bool)
	walk = func(v any, under bool) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				_, isObject := y.(map[string]any)
				walk(y, under || whole[Norm(k)] || personal[Norm(k)] && !isObject)
			}
		case []any:
			for _, y := range x {
				walk(y, under)
			}
		case string:
			if under && len(x) >= 4 && !notPersonal[x] {
				out = append(out, x)
			}
		case json.Number:
			if under && len(x) >= 4 {
				out = append(out, string(x))
			}
		}
	}
	walk(v, false)
	return out
}
