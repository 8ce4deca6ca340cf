package checker

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// The JUnit XML shape that CI systems (GitLab, Jenkins, GitHub test
// reporters) understand: one <testsuite> per lab, one <testcase> per check.
// A check that does not apply here is a <testcase> with <skipped
// message="the reason"/>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// WriteJUnit writes the report as JUnit XML. A failure's message is the
// hint; its body is the title and the evidence. A passing check keeps its
// evidence in system-out. A skipped one's message is why it does not apply
// here.
func WriteJUnit(w io.Writer, rep Report) error {
	got, possible := rep.Score()
	out := junitSuites{Name: "podlab"}
	var total time.Duration
	for _, g := range rep.byLab() {
		suite := junitSuite{
			Name:      "lab " + g.Lab,
			Timestamp: rep.Started.Format("2006-01-02T15:04:05"),
			Properties: []junitProperty{
				{Name: "student", Value: rep.Student},
				{Name: "score", Value: fmt.Sprintf("%d/%d", g.Got, g.Max)},
				{Name: "total score", Value: fmt.Sprintf("%d/%d", got, possible)},
			},
		}
		var d time.Duration
		for _, o := range g.Outcomes {
			suite.Cases = append(suite.Cases, junitTestcase(o))
			suite.Tests++
			switch {
			case o.NotApplicable != "":
				suite.Skipped++
			case !o.Result.Pass:
				suite.Failures++
			}
			d += o.Duration
		}
		suite.Time = junitSeconds(d)
		out.Suites = append(out.Suites, suite)
		out.Tests += suite.Tests
		out.Failures += suite.Failures
		out.Skipped += suite.Skipped
		total += d
	}
	out.Time = junitSeconds(total)

	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("encode junit report: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitTestcase(o Outcome) junitCase {
	body := strings.Join(append([]string{o.Check.Title}, o.Result.Evidence...), "\n")
	tc := junitCase{
		Classname: "podlab.lab" + o.Check.Lab,
		Name:      o.Check.ID,
		Time:      junitSeconds(o.Duration),
	}
	if o.NotApplicable != "" {
		tc.Skipped = &junitSkipped{Message: "not applicable here: " + o.NotApplicable}
		return tc
	}
	if o.Result.Pass {
		tc.SystemOut = body
		return tc
	}
	msg := o.Result.Hint
	if msg == "" {
		msg = "check failed"
	}
	tc.Failure = &junitFailure{Message: msg, Text: body}
	return tc
}

// junitSeconds is the JUnit time format: seconds with a fraction.
func junitSeconds(d time.Duration) string {
	return fmt.Sprintf("%.3f", d.Seconds())
}
