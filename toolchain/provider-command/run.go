package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
)

// lineLogger receives one line of command output for the engine's transient status.
type lineLogger func(line string)

// lineWriter splits a byte stream into lines and hands each complete line to log.
// Partial lines are kept until the next newline or Flush.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit lineLogger
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimSuffix(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		w.emit(line)
	}
	return len(p), nil
}

// Flush emits a trailing partial line, if any.
func (w *lineWriter) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
}

// lockedBuffer is a bytes.Buffer safe for the two copy goroutines of exec.Cmd.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// execution is one run of a command string.
type execution struct {
	Command string
	Args    baseArgs
	// Output of the previous create/update, exported as PULUMI_COMMAND_STDOUT/STDERR
	// when Args.AddPreviousOutputInEnv is set and the value is not empty.
	PrevStdout, PrevStderr string
	Log                    lineLogger // nil: nothing is logged
}

// result is what a successful run produced. Trailing newline trimmed, as upstream does.
type result struct {
	Stdout, Stderr string
}

// run executes e.Command with the interpreter (default /bin/sh -c), in Dir (default the
// provider's working directory, which is the Pulumi program's directory), with the
// provider's environment plus Environment (plus the previous outputs), feeding Stdin.
// Output lines of the streams that Logging allows go to e.Log as they appear. A failure
// returns an error naming the exit status and quoting the output of BOTH streams, whatever
// Logging says (upstream's local/commandOutputs.go run: stdouterrbuf collects both).
func run(ctx context.Context, e execution) (result, error) {
	args := e.Args.Interpreter
	if len(args) == 0 {
		args = []string{"/bin/sh", "-c"}
	}
	argv := append(append([]string{}, args...), e.Command)

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if e.Args.Dir != nil {
		cmd.Dir = *e.Args.Dir
	} else {
		wd, err := os.Getwd()
		if err != nil {
			return result{}, err
		}
		cmd.Dir = wd
	}
	cmd.Env = append(os.Environ(), sortedEnv(e.Args.Environment)...)
	if e.Args.AddPreviousOutputInEnv {
		if e.PrevStdout != "" {
			cmd.Env = append(cmd.Env, envPrevStdout+"="+e.PrevStdout)
		}
		if e.PrevStderr != "" {
			cmd.Env = append(cmd.Env, envPrevStderr+"="+e.PrevStderr)
		}
	}
	if e.Args.Stdin != nil && *e.Args.Stdin != "" {
		cmd.Stdin = strings.NewReader(*e.Args.Stdin)
	}

	var stdout, stderr bytes.Buffer
	var both lockedBuffer // interleaved output of both streams, for the error text only
	outW := []writer{&stdout, &both}
	errW := []writer{&stderr, &both}
	var flushers []*lineWriter
	if e.Args.logsStdout() && e.Log != nil {
		lw := &lineWriter{emit: e.Log}
		flushers = append(flushers, lw)
		outW = append(outW, lw)
	}
	if e.Args.logsStderr() && e.Log != nil {
		lw := &lineWriter{emit: e.Log}
		flushers = append(flushers, lw)
		errW = append(errW, lw)
	}
	cmd.Stdout = multi(outW)
	cmd.Stderr = multi(errW)

	err := cmd.Run()
	for _, f := range flushers {
		f.Flush()
	}
	if err != nil {
		return result{}, runError(err, e.Command, both.String())
	}
	return result{
		Stdout: strings.TrimSuffix(stdout.String(), "\n"),
		Stderr: strings.TrimSuffix(stderr.String(), "\n"),
	}, nil
}

type writer interface{ Write([]byte) (int, error) }

type multiWriter []writer

func (m multiWriter) Write(p []byte) (int, error) {
	for _, w := range m {
		if _, err := w.Write(p); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func multi(ws []writer) multiWriter { return multiWriter(ws) }

// runError builds the error of a failed run, exactly as upstream
// (`fmt.Errorf("%w: running %q:\n%s", err, command, stdouterrbuf.String())`):
//
//	exit status 3: running "false":
//	<interleaved output of stdout and stderr>
//
// Both streams are quoted whatever `logging` says, and the command text is quoted even
// when it arrived as a secret: `logging` decides only what is streamed as status.
func runError(err error, command, output string) error {
	return fmt.Errorf("%w: running %q:\n%s", err, command, output)
}
