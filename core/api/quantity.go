package api

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Memory suffixes of Kubernetes quantities: binary (Ki = 1024) and decimal (k = 1000).
var memorySuffixes = []struct {
	suffix string
	factor float64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
}

// ParseMemory parses a memory quantity such as "64Mi", "1G" or "1048576"
// into bytes.
func ParseMemory(s string) (int64, error) {
	num, factor := s, 1.0
	for _, m := range memorySuffixes {
		if n, ok := strings.CutSuffix(s, m.suffix); ok {
			num, factor = n, m.factor
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) || v*factor >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid memory quantity %q: use bytes or a suffix Ki, Mi, Gi (like \"64Mi\")", s)
	}
	return int64(math.Ceil(v * factor)), nil
}

// ParseCPU parses a CPU quantity such as "0.5", "2" or "500m" into
// millicores (1000 = one CPU).
func ParseCPU(s string) (int64, error) {
	var v float64
	var err error
	if n, ok := strings.CutSuffix(s, "m"); ok {
		v, err = strconv.ParseFloat(n, 64)
		v /= 1000
	} else {
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("invalid CPU quantity %q: use cores or millicores (like \"0.5\" or \"500m\")", s)
	}
	return int64(math.Round(v * 1000)), nil
}
