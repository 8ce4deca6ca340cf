package image_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/podlab/podlab/core/image"
)

func TestParseRef(t *testing.T) {
	good := map[string]image.Ref{
		"busybox":               {Name: "busybox", Tag: "latest"},
		"hello:v2":              {Name: "hello", Tag: "v2"},
		"my-app.x_1:1.0":        {Name: "my-app.x_1", Tag: "1.0"},
		"a:_x":                  {Name: "a", Tag: "_x"},
		strings.Repeat("a", 64): {Name: strings.Repeat("a", 64), Tag: "latest"},
	}
	for s, want := range good {
		got, err := image.ParseRef(s)
		if err != nil || got != want {
			t.Errorf("ParseRef(%q) = %v, %v; want %v", s, got, err, want)
		}
	}

	// Each bad reference, and the part its error must quote and name.
	bad := []struct{ in, quotes, says string }{
		{"../x", "../x", "lower-case letters, digits"},
		{"Upper", "Upper", "lower case"},
		{"a/b", "a/b", "lower-case letters, digits"},
		{"a..b", "a..b", "lower-case letters, digits"},
		{"-x", "-x", "beginning and ending"},
		{"", "", "a name is required"},
		{":tag", "", "a name is required"},
		{"x:", "", "invalid image tag"},
		{"x:bad tag", "bad tag", "invalid image tag"},
		{"x:.hidden", ".hidden", "not beginning with '.'"},
		{"x:a:b", "a:b", "invalid image tag"},
		{strings.Repeat("a", 65), strings.Repeat("a", 65), "at most 64"},
	}
	for _, c := range bad {
		_, err := image.ParseRef(c.in)
		if err == nil {
			t.Errorf("ParseRef(%q) succeeded, want an error", c.in)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, strconv.Quote(c.quotes)) || !strings.Contains(msg, c.says) {
			t.Errorf("ParseRef(%q) error %q: want it to quote %q and say %q", c.in, msg, c.quotes, c.says)
		}
	}
}
