package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/client"
)

var completionCommand = &cli.Command{
	Name:  "completion",
	Usage: "print a script that completes podlab's commands, flags, kinds and names in bash or zsh",
	ArgsUsage: "bash|zsh\n\n" +
		"   examples: source <(podlab completion bash)\n" +
		"             podlab completion bash > /etc/bash_completion.d/podlab",
	BashComplete: func(c *cli.Context) {
		fmt.Fprintln(c.App.Writer, "bash\nzsh")
	},
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return usagef("completion: give the shell, bash or zsh, like \"source <(podlab completion bash)\"")
		}
		script, ok := completionScripts[c.Args().First()]
		if !ok {
			return usagef("completion: unknown shell %q: give bash or zsh", c.Args().First())
		}
		_, err := fmt.Fprint(c.App.Writer, script)
		return err
	},
}

// completionScripts ask podlab itself what fits: urfave/cli answers a
// command line that ends in --generate-bash-completion with the words
// that may come next (see completeObjects). They are urfave/cli's
// autocomplete scripts, for the command podlab.
var completionScripts = map[string]string{
	"bash": `# podlab completion for bash: source <(podlab completion bash)
_podlab_complete() {
  local cur words opts
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:$COMP_CWORD}")
  if [[ "$cur" == "-"* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _podlab_complete podlab
`,
	"zsh": `#compdef podlab
# podlab completion for zsh: source <(podlab completion zsh)
_podlab_complete() {
  local -a opts
  local cur
  cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
if (( $+functions[compdef] )); then
  compdef _podlab_complete podlab
fi
`,
}

// completionTimeout bounds the question to the API server for the names
// of objects: a shell must not hang on TAB.
const completionTimeout = 2 * time.Second

// completeObjects completes the arguments of a command that names
// objects: the flags after "-", else the kinds, else the names of the
// objects of the kind given, asked of the API server.
func completeObjects(c *cli.Context) {
	// urfave/cli's own completion reads the word being completed there too.
	if n := len(os.Args); n > 2 && strings.HasPrefix(os.Args[n-2], "-") {
		cli.DefaultCompleteWithFlags(c.Command)(c)
		return
	}
	args := c.Args().Slice()
	if len(args) == 0 {
		for _, name := range api.ResourceNames() {
			fmt.Fprintln(c.App.Writer, name)
		}
		return
	}
	kind, ok := api.KindFor(args[0])
	if !ok {
		return
	}
	cl, err := connect(c)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(c.Context, completionTimeout)
	defer cancel()
	r, err := cl.Resource(kind, namespace(c))
	if err != nil {
		return
	}
	objs, _, err := r.List(ctx, client.ListOptions{})
	if err != nil {
		return
	}
	for _, obj := range objs {
		fmt.Fprintln(c.App.Writer, obj.GetObjectMeta().Name)
	}
}
