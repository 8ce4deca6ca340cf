package checker

// All returns every check of every lab, in lab order.
//
// Each lab's checks live in their own file (lab00.go, lab01.go, ...) as a
// function returning a slice, and are listed here explicitly, so that a
// reader sees the whole grade in one place and nothing registers itself as a
// side effect of init().
func All() []Check {
	return concat(lab00(), lab01(), lab02(), lab03(), lab04(), lab05(), lab06(), lab07(), lab08(), lab09(), lab10(), lab11())
}
