package checker

import (
	"fmt"
	"regexp"
)

// labBinaries names the program of each lab, for hints.
var labBinaries = map[string]string{
	"00": "lab00-preflight",
	"01": "lab01-container-is-a-process",
	"02": "lab02-resource-limits",
	"03": "lab03-image-and-rootfs",
	"04": "lab04-single-process-model",
	"05": "lab05-pause-container",
	"06": "lab06-shared-volumes",
	"07": "lab07-pod-network",
}

// runLab is the hint of a check that the lab binary makes pass.
func runLab(lab string) string {
	return fmt.Sprintf("run the lab: sudo bin/%s --auto", labBinaries[lab])
}

// pass and fail build results.
func pass(evidence ...string) Result { return Result{Pass: true, Evidence: evidence} }

func fail(hint string, evidence ...string) Result {
	return Result{Evidence: evidence, Hint: hint}
}

// passIf passes when ok and fails with hint otherwise, with the same
// evidence either way.
func passIf(ok bool, hint string, evidence ...string) Result {
	if !ok {
		return fail(hint, evidence...)
	}
	return pass(evidence...)
}

func concat(lists ...[]Check) []Check {
	var all []Check
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// Lab binaries name their containers "labNN" or "labNN-...". An exercise is
// graded on the student's own containers, never on those.
var labContainer = regexp.MustCompile(`^lab[0-9]{2}(-|$)`)

func isLabContainer(name string) bool { return labContainer.MatchString(name) }
