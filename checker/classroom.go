package checker

import (
	"fmt"
	"io"
	"strings"
)

// classroomResult is the result format of GitHub Classroom's autograding
// runners (version 1), as read by classroom-resources/autograding-grading-reporter.
type classroomResult struct {
	Version  int             `json:"version"`
	Status   string          `json:"status"` // "pass" or "fail"
	MaxScore int             `json:"max_score"`
	Tests    []classroomTest `json:"tests"`
}

type classroomTest struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Message  string `json:"message"`
	Score    int    `json:"score"`
	TestCode string `json:"test_code"`
	Filename string `json:"filename"`
	LineNo   int    `json:"line_no"`
	Duration int64  `json:"duration"` // milliseconds
}

// WriteClassroom writes the report as a GitHub Classroom autograding result,
// one test per check, so a classroom assignment can be graded by running
// the checker in its workflow. The format knows only "pass" and "fail"
// (its reporter counts any other status as a failure), so a check that does
// not apply here is left out, as are its points from max_score.
func WriteClassroom(w io.Writer, rep Report) error {
	_, possible := rep.Score()
	out := classroomResult{
		Version:  1,
		Status:   classroomStatus(rep.Passed()),
		MaxScore: possible,
		Tests:    []classroomTest{},
	}
	for _, o := range rep.Outcomes {
		if o.NotApplicable != "" {
			continue
		}
		msg := strings.Join(o.Result.Evidence, "\n")
		if !o.Result.Pass && o.Result.Hint != "" {
			msg = strings.TrimPrefix(msg+"\nhint: "+o.Result.Hint, "\n")
		}
		out.Tests = append(out.Tests, classroomTest{
			Name:     fmt.Sprintf("%s: %s", o.Check.ID, o.Check.Title),
			Status:   classroomStatus(o.Result.Pass),
			Message:  msg,
			Score:    o.score(),
			TestCode: "checker run " + o.Check.Lab,
			Duration: o.Duration.Milliseconds(),
		})
	}
	return encodeJSON(w, out)
}

func classroomStatus(pass bool) string {
	if pass {
		return "pass"
	}
	return "fail"
}
