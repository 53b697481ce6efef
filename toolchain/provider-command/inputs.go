package main

import (
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Property names of command:local:Command and command:local:run, as the npm SDK
// @pulumi/command@1.2.1 sends them.
const (
	pCreate                 = "create"
	pUpdate                 = "update"
	pDelete                 = "delete"
	pCommand                = "command" // command:local:run only
	pDir                    = "dir"
	pEnvironment            = "environment"
	pInterpreter            = "interpreter"
	pStdin                  = "stdin"
	pTriggers               = "triggers"
	pLogging                = "logging"
	pAddPreviousOutputInEnv = "addPreviousOutputInEnv"
	pAssetPaths             = "assetPaths"
	pArchivePaths           = "archivePaths"
	pStdout                 = "stdout"
	pStderr                 = "stderr"
)

// Values of the `logging` input (enum Logging in the SDK).
const (
	logStdout          = "stdout"
	logStderr          = "stderr"
	logStdoutAndStderr = "stdoutAndStderr"
	logNone            = "none"
)

// Environment variables that carry the previous stdout/stderr into update and delete.
const (
	envPrevStdout = "PULUMI_COMMAND_STDOUT"
	envPrevStderr = "PULUMI_COMMAND_STDERR"
)

// commandInputKeys are the inputs of command:local:Command, in the order Diff reports them.
var commandInputKeys = []string{
	pAddPreviousOutputInEnv, pArchivePaths, pAssetPaths, pCreate, pDelete, pDir,
	pEnvironment, pInterpreter, pLogging, pStdin, pTriggers, pUpdate,
}

// runInputKeys are the inputs of the command:local:run function.
var runInputKeys = []string{
	pAddPreviousOutputInEnv, pArchivePaths, pAssetPaths, pCommand, pDir,
	pEnvironment, pInterpreter, pLogging, pStdin,
}

// baseArgs are the settings every execution uses (resource operations and the run function).
type baseArgs struct {
	Interpreter            []string
	Dir                    *string
	Environment            map[string]string
	Stdin                  *string
	Logging                string // "" means the default, stdoutAndStderr
	AddPreviousOutputInEnv bool
}

// logsStdout reports whether stdout lines are streamed to the engine as status
// (upstream's Logging.ShouldLogStdout). It does not change the error text.
func (b baseArgs) logsStdout() bool {
	return b.Logging == "" || b.Logging == logStdout || b.Logging == logStdoutAndStderr
}

// logsStderr reports whether stderr lines are streamed to the engine as status
// (upstream's Logging.ShouldLogStderr). It does not change the error text.
func (b baseArgs) logsStderr() bool {
	return b.Logging == "" || b.Logging == logStderr || b.Logging == logStdoutAndStderr
}

// commandArgs are the inputs of command:local:Command once decoded.
type commandArgs struct {
	baseArgs
	Create, Update, Delete *string
}

// plain returns v with every secret wrapper removed, deeply.
func plain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsArray():
		in := v.ArrayValue()
		out := make([]resource.PropertyValue, len(in))
		for i, e := range in {
			out[i] = plain(e)
		}
		return resource.NewArrayProperty(out)
	case v.IsObject():
		return resource.NewObjectProperty(plainMap(v.ObjectValue()))
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return resource.MakeComputed(resource.NewStringProperty(""))
		}
		return plain(o.Element)
	}
	return v
}

func plainMap(m resource.PropertyMap) resource.PropertyMap {
	out := make(resource.PropertyMap, len(m))
	for k, v := range m {
		out[k] = plain(v)
	}
	return out
}

// present reports whether key has a non-null value in m (looking through secrets).
func present(m resource.PropertyMap, key string) bool {
	v, ok := m[resource.PropertyKey(key)]
	return ok && !plain(v).IsNull()
}

// typeFailure is one problem with one input, reported by Check as a CheckFailure.
type typeFailure struct {
	Property, Reason string
}

// validate checks the types of the inputs named in keys. Unknown values pass (they are
// checked again when they are known). required names inputs that must be present.
func validate(m resource.PropertyMap, keys []string, required ...string) []typeFailure {
	var fails []typeFailure
	fail := func(k, format string, a ...any) {
		fails = append(fails, typeFailure{Property: k, Reason: fmt.Sprintf(format, a...)})
	}
	for _, k := range required {
		if !present(m, k) && !plain(m[resource.PropertyKey(k)]).IsComputed() {
			fail(k, "missing required property '%s'", k)
		}
	}
	for _, k := range keys {
		v := plain(m[resource.PropertyKey(k)])
		if v.IsNull() || v.IsComputed() {
			continue
		}
		switch k {
		case pCreate, pUpdate, pDelete, pCommand, pDir, pStdin:
			if !v.IsString() {
				fail(k, "%s must be a string", k)
			}
		case pLogging:
			if !v.IsString() {
				fail(k, "logging must be a string")
				continue
			}
			switch v.StringValue() {
			case logStdout, logStderr, logStdoutAndStderr, logNone:
			default:
				fail(k, "logging must be one of stdout, stderr, stdoutAndStderr, none; got %q", v.StringValue())
			}
		case pAddPreviousOutputInEnv:
			if !v.IsBool() {
				fail(k, "addPreviousOutputInEnv must be a boolean")
			}
		case pInterpreter:
			if !v.IsArray() {
				fail(k, "interpreter must be a list of strings")
				continue
			}
			for _, e := range v.ArrayValue() {
				if !e.IsString() && !e.IsComputed() {
					fail(k, "interpreter must be a list of strings")
					break
				}
			}
		case pEnvironment:
			if !v.IsObject() {
				fail(k, "environment must be a map of strings")
				continue
			}
			for ek, e := range v.ObjectValue() {
				if !e.IsString() && !e.IsComputed() {
					fail(k, "environment value %q must be a string", string(ek))
				}
			}
		case pTriggers:
			if !v.IsArray() {
				fail(k, "triggers must be a list")
			}
		case pAssetPaths, pArchivePaths:
			fail(k, "%s is not supported by this project's command provider (a local build that "+
				"implements command execution with stdout/stderr capture only); remove it", k)
		}
	}
	return fails
}

// decodeBase reads the shared settings from known (non-computed) inputs.
func decodeBase(m resource.PropertyMap) (baseArgs, error) {
	b := baseArgs{AddPreviousOutputInEnv: true}
	if v := plain(m[pInterpreter]); v.IsArray() {
		for _, e := range v.ArrayValue() {
			if !e.IsString() {
				return b, fmt.Errorf("interpreter must be a list of strings")
			}
			b.Interpreter = append(b.Interpreter, e.StringValue())
		}
	}
	if v := plain(m[pDir]); v.IsString() {
		s := v.StringValue()
		b.Dir = &s
	}
	if v := plain(m[pEnvironment]); v.IsObject() {
		b.Environment = map[string]string{}
		for k, e := range v.ObjectValue() {
			if !e.IsString() {
				return b, fmt.Errorf("environment value %q must be a string", string(k))
			}
			b.Environment[string(k)] = e.StringValue()
		}
	}
	if v := plain(m[pStdin]); v.IsString() {
		s := v.StringValue()
		b.Stdin = &s
	}
	if v := plain(m[pLogging]); v.IsString() {
		b.Logging = v.StringValue()
	}
	if v := plain(m[pAddPreviousOutputInEnv]); v.IsBool() {
		b.AddPreviousOutputInEnv = v.BoolValue()
	}
	if fails := validate(m, []string{pInterpreter, pDir, pEnvironment, pStdin, pLogging,
		pAddPreviousOutputInEnv, pAssetPaths, pArchivePaths}); len(fails) > 0 {
		return b, fmt.Errorf("%s", fails[0].Reason)
	}
	return b, nil
}

// decodeCommand reads the inputs of command:local:Command.
func decodeCommand(m resource.PropertyMap) (commandArgs, error) {
	b, err := decodeBase(m)
	c := commandArgs{baseArgs: b}
	if err != nil {
		return c, err
	}
	str := func(k string) (*string, error) {
		v := plain(m[resource.PropertyKey(k)])
		if v.IsNull() {
			return nil, nil
		}
		if !v.IsString() {
			return nil, fmt.Errorf("%s must be a string", k)
		}
		s := v.StringValue()
		return &s, nil
	}
	if c.Create, err = str(pCreate); err != nil {
		return c, err
	}
	if c.Update, err = str(pUpdate); err != nil {
		return c, err
	}
	if c.Delete, err = str(pDelete); err != nil {
		return c, err
	}
	return c, nil
}

// sortedEnv renders an environment map as KEY=VALUE lines in a stable order.
func sortedEnv(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}
