package decode

import (
	"regexp"
	"strings"
)

// PIIKeys are the payload fields that hold personal data: names, dates
// and places of birth, identity and document numbers, addresses, contact
// details, IP addresses, and what a document says about a body.
var PIIKeys = []string{
	"firstName", "lastName", "fullName", "middleName", "firstNameOnly", "firstNameSuffix", "extraName", "customerName",
	"dateOfBirth", "yearOfBirth", "placeOfBirth", "idNumber", "number", "personalNumber", "electorNumber",
	"ineIdentifier", "ifeIdentifier", "fullAddress", "street", "houseNumber", "postcode", "unit", "city",
	"email", "phone", "phoneNumber", "ip", "height", "weight", "eyeColor", "hairColor",
	"matchedSessionEndUserId", "matchedSessionVendorData", "name", "cpfNumber", "processNumber", "documentNumber", "curp",
}

// Masked is what a masked value becomes.
const Masked = "•••"

var piiValue = regexp.MustCompile(`("(?:` + strings.Join(PIIKeys, "|") + `)"\s*:\s*)"(?:[^"\\]|\\.)*"`)

// MaskPII replaces the string values of PIIKeys in a JSON body with
// Masked, leaving every other byte as it was (so the body still reads the
// same, but its signature no longer matches). Numbers and nulls stay:
// they are not personal on their own. Any bytes are accepted.
func MaskPII(body []byte) []byte {
	return piiValue.ReplaceAll(body, []byte(`$1"`+Masked+`"`))
}

// MaskText hides a personal value on screen, keeping whether there was one.
func MaskText(s string) string {
	if s == "" {
		return ""
	}
	return Masked
}
