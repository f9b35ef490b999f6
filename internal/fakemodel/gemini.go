package fakemodel

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// geminiPart is one part of a Gemini content.
type geminiPart struct {
	Text         string `json:"text,omitempty"`
	FunctionCall *struct {
		Name string         `json:"name"`
		Args map[string]any `json:"args"`
	} `json:"functionCall,omitempty"`
	FunctionResponse *struct {
		Name     string          `json:"name"`
		Response json.RawMessage `json:"response"`
	} `json:"functionResponse,omitempty"`
}

type geminiContent struct {
	Role  string       `json:"role"`
	Parts []geminiPart `json:"parts"`
}

// geminiBody is the part of a generateContent request the fake reads.
type geminiBody struct {
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	Tools             []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
}

func geminiTexts(parts []geminiPart) string {
	var texts []string
	for _, p := range parts {
		if p.Text != "" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, "\n")
}

func decodeGemini(r *http.Request) (*Request, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	var body geminiBody
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	model, _, _ := strings.Cut(r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:], ":")
	req := &Request{API: "gemini", Path: r.URL.Path, Model: model,
		Stream: strings.Contains(r.URL.Path, ":streamGenerateContent"), At: time.Now(), Raw: raw}
	if body.SystemInstruction != nil {
		req.System = geminiTexts(body.SystemInstruction.Parts)
	}
	for _, t := range body.Tools {
		for _, f := range t.FunctionDeclarations {
			req.Tools = append(req.Tools, f.Name)
		}
	}
	for _, c := range body.Contents {
		msg := Message{Role: c.Role, Text: geminiTexts(c.Parts)}
		if msg.Role == "model" {
			msg.Role = "assistant"
		}
		for _, p := range c.Parts {
			if p.FunctionCall != nil {
				msg.ToolCalls = append(msg.ToolCalls, ToolCall{Name: p.FunctionCall.Name, Input: p.FunctionCall.Args})
			}
			if p.FunctionResponse != nil {
				msg.ToolResults = append(msg.ToolResults, ToolResult{Name: p.FunctionResponse.Name, Text: string(p.FunctionResponse.Response)})
			}
		}
		req.Messages = append(req.Messages, msg)
	}
	return req, nil
}

func (s *Server) gemini(w http.ResponseWriter, r *http.Request) {
	req, err := decodeGemini(r)
	if err != nil {
		http.Error(w, `{"error":{"code":400,"message":"bad json","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
		return
	}
	reply, _ := s.record(req)
	part := map[string]any{"text": reply.Text}
	if reply.Tool != nil {
		args := reply.Tool.Input
		if args == nil {
			args = map[string]any{}
		}
		part = map[string]any{"functionCall": map[string]any{"name": reply.Tool.Name, "args": args}}
	}
	resp := map[string]any{
		"candidates": []any{map[string]any{"index": 0, "finishReason": "STOP",
			"content": map[string]any{"role": "model", "parts": []any{part}}}},
		"usageMetadata": map[string]any{"promptTokenCount": 100, "candidatesTokenCount": 10, "totalTokenCount": 110},
		"modelVersion":  req.Model,
	}
	if !req.Stream {
		writeJSON(w, resp)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	sse(w, "", resp)
}
