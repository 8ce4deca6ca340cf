package image

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Ref names an image, as in "hello:v2". The tag defaults to "latest".
type Ref struct {
	Name, Tag string
}

// String returns "name:tag".
func (r Ref) String() string { return r.Name + ":" + r.Tag }

// The rules keep a name and a tag safe as one path element each (no '/', no
// "..") and inside an overlayfs lowerdir option, where ':' and ',' are
// separators.
// They are compiled on first use: bounded repetitions make big programs,
// and every container start would otherwise pay for them in package init.
var (
	nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$`) })
	tagRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`) })
)

const refExample = `(like "busybox" or "hello:v2")`

// ParseRef parses "name" or "name:tag"; "busybox" means busybox:latest.
func ParseRef(s string) (Ref, error) {
	name, tag, hasTag := strings.Cut(s, ":")
	if !hasTag {
		tag = "latest"
	}
	r := Ref{Name: name, Tag: tag}
	if err := r.validate(); err != nil {
		return Ref{}, err
	}
	return r, nil
}

// validate checks the rules of ParseRef. The store checks every Ref it is
// given too, because a Ref built by hand could otherwise name a path
// outside the store.
func (r Ref) validate() error {
	switch {
	case r.Name == "":
		return fmt.Errorf("invalid image name %q: a name is required %s", r.Name, refExample)
	case strings.ToLower(r.Name) != r.Name:
		return fmt.Errorf("invalid image name %q: image names are lower case %s", r.Name, refExample)
	case len(r.Name) > 64:
		return fmt.Errorf("invalid image name %q: at most 64 characters, this one has %d", r.Name, len(r.Name))
	case !nameRE().MatchString(r.Name) || strings.Contains(r.Name, ".."):
		return fmt.Errorf("invalid image name %q: use lower-case letters, digits, '.', '_' or '-', "+
			"beginning and ending with a letter or digit %s", r.Name, refExample)
	case !tagRE().MatchString(r.Tag):
		return fmt.Errorf("invalid image tag %q in %q: use letters, digits, '_', '.' or '-', "+
			"not beginning with '.' or '-', at most 128 characters (leave out \":tag\" for \"latest\")", r.Tag, r.String())
	}
	return nil
}
