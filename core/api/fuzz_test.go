package api

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds Decode any bytes, starting from the lab manifests, and
// puts every object it accepts through Validate, Default and Validate
// again: none of them may panic, whatever the manifest says. Run it with
//
//	go test -run '^$' -fuzz FuzzDecode -fuzztime 30s ./core/api
//
// Inputs that once failed are kept in testdata/fuzz/FuzzDecode and run
// with every "go test".
func FuzzDecode(f *testing.F) {
	err := filepath.WalkDir(manifestsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		f.Add(data)
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "batch/v1", "kind": "Job"}]}`))
	f.Add([]byte("apiVersion: apps/v1\nkind: Deployment\nspec: {strategy: {rollingUpdate: {maxSurge: '0%', maxUnavailable: 0}}}\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode(data)
		if err != nil {
			return
		}
		for _, obj := range objs {
			Validate(obj) // an object not yet defaulted has nil pointers
			Default(obj)
			Validate(obj)

			// Default is safe to call twice.
			once, err := json.Marshal(obj)
			if err != nil {
				t.Fatalf("encode %T: %v", obj, err)
			}
			Default(obj)
			twice, _ := json.Marshal(obj)
			if !bytes.Equal(once, twice) {
				t.Fatalf("a second Default changed the object:\n%s\n%s", once, twice)
			}
			// What podlab writes, it reads back the same: with
			// encoding/json, as a store does...
			back, err := New(KindOf(obj))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(once, back); err != nil {
				t.Fatalf("decode %s: %v", once, err)
			}
			if again, _ := json.Marshal(back); !bytes.Equal(once, again) {
				t.Fatalf("JSON round trip changed the object:\n%s\n%s", once, again)
			}
			// ... and with Decode, as "podlab apply -f" does, unless a
			// string holds a character that JSON allows and YAML does not.
			if bytes.ContainsFunc(once, notInYAML) {
				continue
			}
			objs, err := Decode(once)
			if err != nil {
				t.Fatalf("decode %s: %v", once, err)
			}
			if again, _ := json.Marshal(objs[0]); !bytes.Equal(once, again) {
				t.Fatalf("round trip through Decode changed the object:\n%s\n%s", once, again)
			}
		}
	})
}

// notInYAML reports whether r is a character that encoding/json writes as
// it is and a YAML parser refuses: DEL, the C1 controls but NEL, and the
// noncharacters U+FFFE and U+FFFF.
func notInYAML(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f && r != 0x85) || r == 0xfffe || r == 0xffff
}

// FuzzParseSelector checks that ParseSelector never panics and that the
// String of what it parses parses to the same selector.
func FuzzParseSelector(f *testing.F) {
	for _, s := range []string{"", "app=web,tier!=db,env in (prod,qa),env notin (dev),release,!canary",
		"a==b", "x in ()", "k notin(a,,b)", "podlab.io/lab=12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseSelector(s)
		if err != nil {
			return
		}
		again, err := ParseSelector(sel.String())
		if err != nil || again.String() != sel.String() {
			t.Fatalf("%q gave %q, which parses to %v, %v", s, sel.String(), again, err)
		}
	})
}
