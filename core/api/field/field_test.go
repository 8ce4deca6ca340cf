package field

import (
	"errors"
	"testing"
)

func TestPath(t *testing.T) {
	p := NewPath("spec").Child("containers").Index(1).Child("resources").Child("limits").Key("cpu")
	if got, want := p.String(), "spec.containers[1].resources.limits[cpu]"; got != want {
		t.Errorf("path %q, want %q", got, want)
	}
	if got := Path("").Child("metadata"); got != "metadata" {
		t.Errorf("child of the empty path: %q", got)
	}
}

type phase string

func TestErrorMessages(t *testing.T) {
	name := NewPath("spec").Child("containers").Index(1).Child("name")
	tests := []struct {
		err  *Error
		want string
	}{
		{Required(name, ""), "spec.containers[1].name: Required value"},
		{Required(NewPath("metadata").Child("name"), "name or generateName is required"),
			"metadata.name: Required value: name or generateName is required"},
		{Invalid(NewPath("metadata").Child("name"), "Web", "must be lower case"),
			`metadata.name: Invalid value: "Web": must be lower case`},
		{Invalid(NewPath("spec").Child("terminationGracePeriodSeconds"), int64(-1), "must be greater than or equal to 0"),
			"spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0"},
		{Duplicate(name, "app"), `spec.containers[1].name: Duplicate value: "app"`},
		{NotFound(NewPath("spec").Child("volumes").Index(0), "cache"), `spec.volumes[0]: Not found: "cache"`},
		{NotSupported(NewPath("status").Child("phase"), phase("Done"), []string{"Pending", "Running"}),
			`status.phase: Unsupported value: "Done": supported values: "Pending", "Running"`},
		{Forbidden(NewPath("spec").Child("hostPath"), "may not specify more than 1 volume type"),
			"spec.hostPath: Forbidden: may not specify more than 1 volume type"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestErrorList(t *testing.T) {
	var empty ErrorList
	if empty.ToAggregate() != nil || empty.Error() != "" {
		t.Error("an empty list is not a nil error")
	}
	list := ErrorList{Required(NewPath("a"), ""), Duplicate(NewPath("b"), "x")}
	if got, want := list.Error(), "a: Required value\n"+`b: Duplicate value: "x"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	err := list.ToAggregate()
	if err.Error() != list.Error() {
		t.Errorf("ToAggregate().Error() = %q", err)
	}
	var fe *Error
	if !errors.As(err, &fe) || fe.Field != "a" {
		t.Errorf("errors.As found %v", fe)
	}
}
