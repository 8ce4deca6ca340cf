package api

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// The naming rules of Kubernetes (apimachinery util/validation), with its
// messages. Each is* function returns what is wrong with a name, nothing if
// it is valid, so a caller can turn each problem into a field error.
//
// The expressions are compiled on first use, not at start-up.
var (
	dns1123LabelRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	})
	dns1123SubdomainRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	})
	// Label names and values also allow upper case, '_' and '.'.
	qualifiedNameRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	})
)

const (
	dns1123LabelMaxLength     = 63  // one DNS label, like a hostname
	dns1123SubdomainMaxLength = 253 // a whole DNS name
	qualifiedNameMaxLength    = 63
	labelValueMaxLength       = 63

	dns1123LabelErrMsg     = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	dns1123SubdomainErrMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
	qualifiedNameErrMsg    = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	labelValueErrMsg       = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)

func maxLenError(n int) string { return fmt.Sprintf("must be no more than %d characters", n) }

// isDNS1123Label checks names that become one DNS label or a hostname:
// container, volume and namespace names.
func isDNS1123Label(s string) []string {
	var errs []string
	if len(s) > dns1123LabelMaxLength {
		errs = append(errs, maxLenError(dns1123LabelMaxLength))
	}
	if !dns1123LabelRE().MatchString(s) {
		errs = append(errs, dns1123LabelErrMsg)
	}
	return errs
}

// isDNS1123Subdomain checks names that may hold dots, like pod and node names.
func isDNS1123Subdomain(s string) []string {
	var errs []string
	if len(s) > dns1123SubdomainMaxLength {
		errs = append(errs, maxLenError(dns1123SubdomainMaxLength))
	}
	if !dns1123SubdomainRE().MatchString(s) {
		errs = append(errs, dns1123SubdomainErrMsg)
	}
	return errs
}

// isQualifiedName checks a label or annotation key: a name, with an
// optional DNS subdomain prefix, like "app" or "podlab.io/lab".
func isQualifiedName(s string) []string {
	name := s
	var errs []string
	prefix, rest, hasPrefix := strings.Cut(s, "/")
	if hasPrefix {
		name = rest
		if prefix == "" {
			errs = append(errs, "prefix part must be non-empty")
		} else {
			for _, msg := range isDNS1123Subdomain(prefix) {
				errs = append(errs, "prefix part "+msg)
			}
		}
	}
	switch {
	case name == "":
		errs = append(errs, "name part must be non-empty")
	case len(name) > qualifiedNameMaxLength:
		errs = append(errs, "name part "+maxLenError(qualifiedNameMaxLength))
	}
	if name != "" && !qualifiedNameRE().MatchString(name) {
		errs = append(errs, "name part "+qualifiedNameErrMsg)
	}
	return errs
}

// isLabelValue checks a label value: like a qualified name part, or empty.
func isLabelValue(s string) []string {
	var errs []string
	if len(s) > labelValueMaxLength {
		errs = append(errs, maxLenError(labelValueMaxLength))
	}
	if s != "" && !qualifiedNameRE().MatchString(s) {
		errs = append(errs, labelValueErrMsg)
	}
	return errs
}

// isPortName checks a port name (an IANA service name), which a Service can
// use instead of the number: at most 15 lower-case letters, digits and
// single hyphens inside, with at least one letter, like "http" or "web-8080".
func isPortName(s string) []string {
	var errs []string
	if len(s) > 15 {
		errs = append(errs, maxLenError(15))
	}
	notAllowed := func(r rune) bool { return !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-", r) }
	if strings.ContainsFunc(s, notAllowed) {
		errs = append(errs, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
	}
	if strings.Contains(s, "--") {
		errs = append(errs, "must not contain consecutive hyphens")
	}
	if !strings.ContainsAny(s, "abcdefghijklmnopqrstuvwxyz") {
		errs = append(errs, "must contain at least one letter (a-z)")
	}
	if strings.HasPrefix(s, "-") || strings.HasSuffix(s, "-") {
		errs = append(errs, "must not begin or end with a hyphen")
	}
	return errs
}
