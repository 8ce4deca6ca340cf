package api

import (
	"fmt"
	"strconv"
	"strings"
)

// Schedule is a parsed cron schedule, as a CronJob writes it. Each field
// is a set of allowed values: bit n is set when n is allowed, so
// Hour&(1<<9) != 0 means "at 9 o'clock". The CronJob controller finds the
// next run from it.
type Schedule struct {
	Minute, Hour, DayOfMonth, Month, DayOfWeek uint64
}

// cronField is the range and names of one field of a schedule.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i, like JAN for 1
}

var cronFields = []cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", min: 0, max: 6, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// cronMacros are the shorthands Kubernetes accepts (robfig/cron's
// descriptors), with the five fields they stand for.
var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// ParseSchedule parses a cron schedule of five fields, "minute hour
// day-of-month month day-of-week", like the standard parser Kubernetes
// uses. A field is "*" (or "?"), a number, a range "1-5", a step "*/15"
// or "1-30/10" or "5/15" (from 5 to the end), or a comma list of these.
// Months and days of the week may be names: JAN-DEC, SUN-SAT. Instead of
// the fields, a macro: @yearly (or @annually), @monthly, @weekly,
// @daily (or @midnight), @hourly.
func ParseSchedule(s string) (Schedule, error) {
	text := strings.TrimSpace(s)
	if strings.HasPrefix(text, "TZ=") || strings.HasPrefix(text, "CRON_TZ=") {
		return Schedule{}, fmt.Errorf("time zones are not supported: the schedule runs in the controller's time zone")
	}
	if strings.HasPrefix(text, "@") {
		fields, ok := cronMacros[text]
		if !ok {
			return Schedule{}, fmt.Errorf("unknown macro %q: use @yearly, @monthly, @weekly, @daily or @hourly", text)
		}
		text = fields
	}
	fields := strings.Fields(text)
	if len(fields) != len(cronFields) {
		return Schedule{}, fmt.Errorf("expected 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	var sets [5]uint64
	for i, f := range fields {
		set, err := cronFields[i].parse(f)
		if err != nil {
			return Schedule{}, fmt.Errorf("%s: %w", cronFields[i].name, err)
		}
		sets[i] = set
	}
	return Schedule{Minute: sets[0], Hour: sets[1], DayOfMonth: sets[2], Month: sets[3], DayOfWeek: sets[4]}, nil
}

// parse parses one field, a comma list, into the set of its values.
func (f cronField) parse(text string) (uint64, error) {
	var set uint64
	for item := range strings.SplitSeq(text, ",") {
		span, stepText, hasStep := strings.Cut(item, "/")
		lo, hi := f.min, f.max
		if span != "*" && span != "?" {
			from, to, isRange := strings.Cut(span, "-")
			var err error
			if lo, err = f.value(from); err != nil {
				return 0, err
			}
			switch {
			case isRange:
				if hi, err = f.value(to); err != nil {
					return 0, err
				}
			case !hasStep:
				hi = lo // one value; "5/15" runs from 5 to the end
			}
		}
		if lo > hi {
			return 0, fmt.Errorf("range %q runs backwards", span)
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, fmt.Errorf("step %q must be a positive number", stepText)
			}
			step = min(n, f.max+1) // a longer step stops at the first value, as this one does
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// value parses one number, or name, of the field.
func (f cronField) value(text string) (int, error) {
	for i, name := range f.names {
		if strings.EqualFold(text, name) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(text)
	if err != nil || strings.HasPrefix(text, "+") {
		if text == "" {
			return 0, fmt.Errorf("a value is missing")
		}
		return 0, fmt.Errorf("%q is not a number", text)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", n, f.min, f.max)
	}
	return n, nil
}
