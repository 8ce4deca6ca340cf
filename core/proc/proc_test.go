package proc

import (
	"os"
	"os/exec"
	"testing"
)

func TestReadStatSelf(t *testing.T) {
	st, err := ReadStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if st.Pid != os.Getpid() || st.PPid != os.Getppid() || st.StartTime == 0 || st.State == 'Z' {
		t.Fatalf("stat of self = %+v", st)
	}
	if !Alive(st.Pid, st.StartTime) || Alive(st.Pid, st.StartTime+1) {
		t.Fatal("Alive must match the start time exactly")
	}
}

func TestAliveZombie(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	st, _ := ReadStat(pid)
	// Until Wait, the exited child is a zombie: not alive.
	for i := 0; i < 200; i++ {
		if s, _ := ReadStat(pid); s.State == 'Z' {
			break
		}
		exec.Command("sleep", "0.01").Run()
	}
	if Alive(pid, st.StartTime) {
		t.Error("a zombie is reported alive")
	}
	cmd.Wait()
}

func TestNSpidAndMounts(t *testing.T) {
	ids, err := NSpid(os.Getpid())
	if err != nil || len(ids) == 0 || ids[0] != os.Getpid() {
		t.Fatalf("NSpid = %v, %v", ids, err)
	}
	ms, err := Mounts(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	root := false
	for _, m := range ms {
		root = root || m.Point == "/"
	}
	if !root {
		t.Fatal("no / in own mount table")
	}
	if got := Option("lowerdir=/a:/b,upperdir=/u", "upperdir"); got != "/u" {
		t.Fatalf("Option = %q", got)
	}
	if got := Cmdline(os.Getpid()); got[0] != os.Args[0] {
		t.Fatalf("Cmdline = %q", got)
	}
}
