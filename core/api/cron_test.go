package api

import (
	"testing"
)

// bits returns the set of the values.
func bits(values ...int) uint64 {
	var set uint64
	for _, v := range values {
		set |= 1 << v
	}
	return set
}

// span returns the set of lo..hi by step.
func span(lo, hi, step int) uint64 {
	var set uint64
	for v := lo; v <= hi; v += step {
		set |= 1 << v
	}
	return set
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		in   string
		want Schedule
	}{
		{"* * * * *", Schedule{span(0, 59, 1), span(0, 23, 1), span(1, 31, 1), span(1, 12, 1), span(0, 6, 1)}},
		{"*/15 9-17 1,15 * MON-FRI", Schedule{bits(0, 15, 30, 45), span(9, 17, 1), bits(1, 15), span(1, 12, 1), span(1, 5, 1)}},
		{"5/20 0 ? jan,Jul sun", Schedule{bits(5, 25, 45), bits(0), span(1, 31, 1), bits(1, 7), bits(0)}},
		{"0-30/10 */6 * * *", Schedule{bits(0, 10, 20, 30), bits(0, 6, 12, 18), span(1, 31, 1), span(1, 12, 1), span(0, 6, 1)}},
		{"@hourly", Schedule{bits(0), span(0, 23, 1), span(1, 31, 1), span(1, 12, 1), span(0, 6, 1)}},
		{"@daily", Schedule{bits(0), bits(0), span(1, 31, 1), span(1, 12, 1), span(0, 6, 1)}},
		{"@midnight", Schedule{bits(0), bits(0), span(1, 31, 1), span(1, 12, 1), span(0, 6, 1)}},
		{"@weekly", Schedule{bits(0), bits(0), span(1, 31, 1), span(1, 12, 1), bits(0)}},
		{"@monthly", Schedule{bits(0), bits(0), bits(1), span(1, 12, 1), span(0, 6, 1)}},
		{"@yearly", Schedule{bits(0), bits(0), bits(1), bits(1), span(0, 6, 1)}},
		{"@annually", Schedule{bits(0), bits(0), bits(1), bits(1), span(0, 6, 1)}},
		{" 0 0 1 1 *  ", Schedule{bits(0), bits(0), bits(1), bits(1), span(0, 6, 1)}},
		{"59 23 31 12 6", Schedule{bits(59), bits(23), bits(31), bits(12), bits(6)}},
		{"0 0 * * */100", Schedule{bits(0), bits(0), span(1, 31, 1), span(1, 12, 1), bits(0)}},
	}
	for _, tt := range tests {
		got, err := ParseSchedule(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSchedule(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseScheduleErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "expected 5 fields (minute hour day-of-month month day-of-week), found 0"},
		{"* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4"},
		{"0 0 * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6"},
		{"60 * * * *", "minute: 60 is out of range 0-59"},
		{"* 24 * * *", "hour: 24 is out of range 0-23"},
		{"* * 0 * *", "day of month: 0 is out of range 1-31"},
		{"* * * 13 *", "month: 13 is out of range 1-12"},
		{"* * * * 7", "day of week: 7 is out of range 0-6"},
		{"a * * * *", `minute: "a" is not a number`},
		{"+5 * * * *", `minute: "+5" is not a number`},
		{"1,,2 * * * *", "minute: a value is missing"},
		{"-5 * * * *", "minute: a value is missing"},
		{"30-10 * * * *", `minute: range "30-10" runs backwards`},
		{"*/0 * * * *", `minute: step "0" must be a positive number`},
		{"*/x * * * *", `minute: step "x" must be a positive number`},
		{"* * L * *", `day of month: "L" is not a number`},
		{"* * * FOO *", `month: "FOO" is not a number`},
		{"* * * * MON-FOO", `day of week: "FOO" is not a number`},
		{"@every 5m", `unknown macro "@every 5m": use @yearly, @monthly, @weekly, @daily or @hourly`},
		{"@reboot", `unknown macro "@reboot": use @yearly, @monthly, @weekly, @daily or @hourly`},
		{"TZ=UTC 0 * * * *", "time zones are not supported: the schedule runs in the controller's time zone"},
		{"CRON_TZ=UTC 0 * * * *", "time zones are not supported: the schedule runs in the controller's time zone"},
	}
	for _, tt := range tests {
		_, err := ParseSchedule(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseSchedule(%q) error %v, want %q", tt.in, err, tt.want)
		}
	}
}
