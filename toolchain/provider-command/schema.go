package main

import "encoding/json"

// schemaJSON is the package schema of the subset this build implements (the engine does
// not need it for `up`; `pulumi package get-schema` and tools do). Property types follow
// @pulumi/command@1.2.1.
func schemaJSON(version string) string {
	str := map[string]any{"type": "string"}
	base := map[string]any{
		"addPreviousOutputInEnv": map[string]any{"type": "boolean", "default": true,
			"description": "Export the previous stdout/stderr as PULUMI_COMMAND_STDOUT/PULUMI_COMMAND_STDERR."},
		"dir":         map[string]any{"type": "string", "description": "Working directory (default: the program's)."},
		"environment": map[string]any{"type": "object", "additionalProperties": str},
		"interpreter": map[string]any{"type": "array", "items": str,
			"description": "Program and arguments; default [\"/bin/sh\", \"-c\"]."},
		"logging": map[string]any{"$ref": "#/types/command:local:Logging"},
		"stdin":   str,
		"assetPaths": map[string]any{"type": "array", "items": str,
			"description": "Not supported by this build."},
		"archivePaths": map[string]any{"type": "array", "items": str,
			"description": "Not supported by this build."},
	}
	with := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cmdInputs := with(map[string]any{
		"create": str, "update": str, "delete": str,
		"triggers": map[string]any{"type": "array", "items": map[string]any{"$ref": "pulumi.json#/Any"},
			"replaceOnChanges": true},
	})
	cmdOutputs := with(map[string]any{
		"create": str, "update": str, "delete": str,
		"triggers": map[string]any{"type": "array", "items": map[string]any{"$ref": "pulumi.json#/Any"}},
		"stdout":   str, "stderr": str,
	})
	runInputs := with(map[string]any{"command": str})
	runOutputs := with(map[string]any{"command": str, "stdout": str, "stderr": str})

	s := map[string]any{
		"name":    providerName,
		"version": version,
		"description": "This project's own implementation of the local subset of the command provider " +
			"(command:local:Command and command:local:run), built because the official provider " +
			"module is not available from the Go module proxy used here. Not Pulumi's binary.",
		"provider": map[string]any{},
		"types": map[string]any{
			"command:local:Logging": map[string]any{"type": "string", "enum": []any{
				map[string]any{"value": "stdout"}, map[string]any{"value": "stderr"},
				map[string]any{"value": "stdoutAndStderr"}, map[string]any{"value": "none"},
			}},
		},
		"resources": map[string]any{
			commandType: map[string]any{
				"inputProperties": cmdInputs,
				"properties":      cmdOutputs,
				"required":        []string{"stdout", "stderr"},
			},
		},
		"functions": map[string]any{
			runFunction: map[string]any{
				"inputs":  map[string]any{"properties": runInputs, "required": []string{"command"}, "type": "object"},
				"outputs": map[string]any{"properties": runOutputs, "required": []string{"command", "stdout", "stderr"}, "type": "object"},
			},
		},
	}
	b, _ := json.Marshal(s)
	return string(b)
}
