// Package steps runs a lab: a numbered list of steps, each doing one thing
// to the kernel and printing what it did, so a student can follow a
// Kubernetes concept being built from Linux primitives.
//
// Every cmd/labNN-topic binary is a Lab and a call to Main:
//
//	func main() {
//		steps.Main(steps.Lab{
//			Number: "01",
//			Name:   "container-is-a-process",
//			Title:  steps.T("A container is a process", "容器就是一个进程"),
//			Steps:  []steps.Step{startProcess, compareHostnames},
//			Undo:   map[string]func(context.Context, string) error{"container": runtime.Remove},
//			After:  steps.T("Now run: checker run 01", "接下来运行：checker run 01"),
//		})
//	}
//
// A step shows the shell command a student could type instead, the real
// values it produced (PIDs, inodes, names) and why it matters. Whatever a
// step creates is recorded at once in paths.Labs()/NN.json, so a failed
// step, a Ctrl-C, a crash or a later --cleanup can remove exactly that.
package steps
