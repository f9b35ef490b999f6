package mcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// A tool's outputSchema is built from the Go type its answers are encoded
// from, so the schema a client validates structuredContent against cannot
// drift from what the server sends. The rules are encoding/json's: a
// field's name is its json tag, a field tagged omitempty may be absent
// (every other one is required), embedded structs are flattened, and
// json.RawMessage is the data object. A field's desc tag becomes its
// description. No property outside the type is allowed, so a client that
// validates (Gemini CLI does) refuses an answer the schema does not
// describe.

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// outputSchema returns the JSON schema of the answers of type T.
func outputSchema[T any]() json.RawMessage {
	b, err := json.Marshal(schemaOf(reflect.TypeFor[T]()))
	if err != nil {
		panic(fmt.Sprintf("mcp: output schema of %v: %v", reflect.TypeFor[T](), err)) // a type of this package: a bug
	}
	return b
}

// schemaOf returns the schema of values of type t.
func schemaOf(t reflect.Type) map[string]any {
	if t == rawMessageType {
		return map[string]any{"type": "object"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint64, reflect.Uint32, reflect.Uint:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Struct:
		props, required := map[string]any{}, []string{}
		addFields(t, props, &required)
		return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
	}
	panic(fmt.Sprintf("mcp: no output schema for %v", t))
}

// addFields adds the properties of struct t (and of the structs it
// embeds) to props, and the names of those always present to required.
func addFields(t reflect.Type, props map[string]any, required *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			addFields(f.Type, props, required) // promoted, as encoding/json does even for an unexported type
			continue
		}
		if tag == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		p := schemaOf(f.Type)
		if d := f.Tag.Get("desc"); d != "" {
			p["description"] = d
		}
		props[name] = p
		if !strings.Contains(","+opts+",", ",omitempty,") {
			*required = append(*required, name)
		}
	}
}
