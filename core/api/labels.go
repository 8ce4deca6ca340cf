package api

import (
	"maps"
	"slices"
	"strings"

	"github.com/podlab/podlab/core/api/field"
)

// validateLabels checks label keys and values (SEMANTICS.md §5.1): a key is
// an optional DNS subdomain prefix and "/", then a name of at most 63
// letters, digits, '-', '_' or '.', starting and ending with a letter or
// digit; a value follows the rule of the name, or is empty. A nodeSelector
// follows the same rules, since it names node labels.
func validateLabels(labels map[string]string, path field.Path) field.ErrorList {
	var errs field.ErrorList
	// Sorted, so that the errors come in the same order every time.
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		for _, msg := range isQualifiedName(k) {
			errs = append(errs, field.Invalid(path, k, msg))
		}
		for _, msg := range isLabelValue(labels[k]) {
			errs = append(errs, field.Invalid(path.Key(k), labels[k], msg))
		}
	}
	return errs
}

// validateAnnotations checks annotation keys, which follow the rule of label
// keys; values may be any text.
func validateAnnotations(annotations map[string]string, path field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(annotations)) {
		// In lower case, as Kubernetes checks it: an annotation prefix may
		// be written "Example.com/".
		for _, msg := range isQualifiedName(strings.ToLower(k)) {
			errs = append(errs, field.Invalid(path, k, msg))
		}
	}
	return errs
}
