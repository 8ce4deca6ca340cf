package daemon

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// testd is a daemon with one flag, --fail, that serves until told.
func testd() Command[string] {
	return Command[string]{
		Name:  "testd",
		Flags: []cli.Flag{&cli.StringFlag{Name: "fail"}, &cli.IntFlag{Name: "n"}},
		Options: func(c *cli.Context) (string, error) {
			if c.Args().Present() {
				return "", errors.New("testd takes only flags")
			}
			return c.String("fail"), nil
		},
		Serve: func(_ context.Context, fail string, log *slog.Logger) error {
			log.Info("serving")
			if fail != "" {
				return errors.New(fail)
			}
			return nil
		},
	}
}

func TestRunExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string // in stderr, once
	}{
		{nil, 0, "msg=serving"},
		{[]string{"--fail", "etcd is gone"}, 1, "testd: etcd is gone\n"},
		{[]string{"extra"}, 2, "testd: testd takes only flags\n"},
		{[]string{"--n", "many"}, 2, `testd: invalid value "many" for flag -n`},
		{[]string{"--nosuch"}, 2, "testd: flag provided but not defined: -nosuch\n"},
	} {
		var stderr bytes.Buffer
		code := testd().Run(context.Background(), append([]string{"testd"}, tc.args...), &stderr)
		if code != tc.code || strings.Count(stderr.String(), tc.want) != 1 {
			t.Errorf("testd %v: exit %d, want %d; stderr:\n%s\nwant %q once", tc.args, code, tc.code, stderr.String(), tc.want)
		}
	}
}

func TestUsagef(t *testing.T) {
	err := Usagef("--grace %v: must not be negative", "-1s")
	if !errors.As(err, new(usageError)) || err.Error() != "--grace -1s: must not be negative" {
		t.Errorf("Usagef: %T %v", err, err)
	}
}
