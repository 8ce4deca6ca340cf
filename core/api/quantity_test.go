package api

import "testing"

func TestParseMemory(t *testing.T) {
	good := map[string]int64{"64Mi": 64 << 20, "1Gi": 1 << 30, "1G": 1e9, "512Ki": 512 << 10, "100": 100, "1.5Mi": 3 << 19}
	for in, want := range good {
		got, err := ParseMemory(in)
		if err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "Mi", "-1Mi", "64MB", "lots", "1e30", "9999999Ti"} {
		if _, err := ParseMemory(in); err == nil {
			t.Errorf("ParseMemory(%q) accepted", in)
		}
	}
}

func TestParseCPU(t *testing.T) {
	good := map[string]int64{"0.5": 500, "500m": 500, "2": 2000, "250m": 250, "1.25": 1250}
	for in, want := range good {
		got, err := ParseCPU(in)
		if err != nil || got != want {
			t.Errorf("ParseCPU(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "m", "-1", "half"} {
		if _, err := ParseCPU(in); err == nil {
			t.Errorf("ParseCPU(%q) accepted", in)
		}
	}
}
