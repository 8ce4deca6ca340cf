package api

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntOrString holds a number or a string, as some fields accept both: a
// Service's targetPort is 8080 or "http", a Deployment's maxSurge is 1 or
// "25%". In YAML and JSON it is written as the bare number or string.
type IntOrString struct {
	Type   IntOrStringType
	IntVal int32
	StrVal string
}

// IntOrStringType says which of the two an IntOrString holds.
type IntOrStringType int

const (
	Int    IntOrStringType = iota // IntVal holds the value
	String                        // StrVal holds the value
)

// FromInt32 returns an IntOrString that holds i.
func FromInt32(i int32) IntOrString { return IntOrString{Type: Int, IntVal: i} }

// FromString returns an IntOrString that holds s.
func FromString(s string) IntOrString { return IntOrString{Type: String, StrVal: s} }

// String returns the value as written: "8080", "http" or "25%".
func (v IntOrString) String() string {
	if v.Type == String {
		return v.StrVal
	}
	return strconv.Itoa(int(v.IntVal))
}

// IsZero reports whether v is 0 or "", which a field treats as unset.
func (v IntOrString) IsZero() bool {
	return v == IntOrString{} || v == FromString("")
}

// MarshalJSON writes the number or the string.
func (v IntOrString) MarshalJSON() ([]byte, error) {
	if v.Type == String {
		return json.Marshal(v.StrVal)
	}
	return json.Marshal(v.IntVal)
}

// UnmarshalJSON reads a number or a string.
func (v *IntOrString) UnmarshalJSON(data []byte) error {
	if len(data) > 0 && data[0] == '"' {
		v.Type, v.IntVal = String, 0
		return json.Unmarshal(data, &v.StrVal)
	}
	v.Type, v.StrVal = Int, ""
	return json.Unmarshal(data, &v.IntVal)
}

// ScaledValue resolves v against total: a number is itself, a percent
// is that share of total, rounded up or down. A Deployment rounds its
// maxSurge up and its maxUnavailable down (SEMANTICS.md §6.2): with 25%
// of 10 replicas, 3 may surge and 2 may be unavailable.
func (v IntOrString) ScaledValue(total int, roundUp bool) (int, error) {
	if v.Type == Int {
		return int(v.IntVal), nil
	}
	percent, err := parsePercent(v.StrVal)
	if err != nil {
		return 0, err
	}
	scaled := float64(percent) * float64(total) / 100
	if roundUp {
		return int(math.Ceil(scaled)), nil
	}
	return int(math.Floor(scaled)), nil
}

// parsePercent parses "25%" into 25.
func parsePercent(s string) (int, error) {
	num, ok := strings.CutSuffix(s, "%")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 || strings.HasPrefix(num, "+") {
		return 0, fmt.Errorf("invalid percent %q: use a whole number followed by %%, like \"25%%\"", s)
	}
	return n, nil
}
