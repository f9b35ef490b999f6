package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one measurement beside its bare yardstick.
type Figure struct {
	Group string  `json:"group"`           // what is measured: "send", "claim", "wake"...
	Name  string  `json:"name"`            // the figure within its group
	Unit  string  `json:"unit"`            // "msg/s", "ms", "MiB"...
	IPC   float64 `json:"ipc"`             // ipc's value
	Bare  float64 `json:"bare"`            // the bare operation's value, same run
	Ratio float64 `json:"ratio"`           // IPC ÷ Bare; 0 when either is unknown
	Yard  string  `json:"bare_is"`         // what the bare operation is
	Note  string  `json:"note,omitempty"`  // counts, misses, timeouts
	Error string  `json:"error,omitempty"` // why the figure could not be measured
}

// Report is one run of every group.
type Report struct {
	Date    time.Time `json:"date"`
	Machine Machine   `json:"machine"`
	Scale   string    `json:"scale"`
	Took    float64   `json:"took_seconds"`
	Figures []Figure  `json:"figures"`
}

// Machine says where the figures were measured.
type Machine struct {
	CPUs       int    `json:"cpus"`
	CPU        string `json:"cpu"`
	FileSystem string `json:"filesystem"` // of the scratch directory
	Kernel     string `json:"kernel"`
	Go         string `json:"go"`
	Revision   string `json:"revision,omitempty"`
}

// rate makes a Figure for something counted per second (more is better).
func rate(group, name string, ipc, bare float64, yard string) Figure {
	return Figure{Group: group, Name: name, Unit: "msg/s", IPC: ipc, Bare: bare, Ratio: ratio(ipc, bare), Yard: yard}
}

// took makes a Figure for a duration, in milliseconds (less is better).
func took(group, name string, ipc, bare time.Duration, yard string) Figure {
	return Figure{Group: group, Name: name, Unit: "ms", IPC: millis(ipc), Bare: millis(bare), Ratio: ratio(float64(ipc), float64(bare)), Yard: yard}
}

// failed makes a Figure that could not be measured.
func failed(group, name string, err error) Figure {
	return Figure{Group: group, Name: name, Error: err.Error()}
}

func ratio(ipc, bare float64) float64 {
	if ipc <= 0 || bare <= 0 || math.IsInf(ipc, 0) || math.IsInf(bare, 0) {
		return 0
	}
	return ipc / bare
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// header says when, where and at what scale r was measured.
func (r *Report) header() string {
	m := r.Machine
	return fmt.Sprintf("%s, scale %s, revision %s: %d CPUs (%s), %s, kernel %s, %s; took %.0f s",
		r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Scale, m.Revision, m.CPUs, m.CPU, m.FileSystem, m.Kernel, m.Go, r.Took)
}

// WriteTable prints r for people: one line a figure, aligned.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintln(w, "ipc bench "+r.header())
	fmt.Fprintln(w, "ratio = ipc ÷ bare, both measured turn about in this run (rates: more is better; times and sizes: less is)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "group\tfigure\tipc\tbare\tunit\tratio\tbare is\tnote")
	for _, f := range r.Figures {
		if f.Error != "" {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t\t\t\tnot measured: %s\n", f.Group, f.Name, oneLine(f.Error))
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Group, f.Name, num(f.IPC), num(f.Bare), f.Unit, times(f.Ratio), f.Yard, f.Note)
	}
	return tw.Flush()
}

// WriteMarkdown prints r as the README's table.
func (r *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "Measured %s.\n\n", r.header())
	fmt.Fprintln(w, "| group | figure | ipc | bare | unit | ratio | bare is | note |")
	fmt.Fprintln(w, "| --- | --- | ---: | ---: | --- | ---: | --- | --- |")
	for _, f := range r.Figures {
		if f.Error != "" {
			fmt.Fprintf(w, "| %s | %s | – | – | | | | not measured: %s |\n", f.Group, f.Name, oneLine(f.Error))
			continue
		}
		_, err := fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", f.Group, f.Name, num(f.IPC), num(f.Bare), f.Unit, times(f.Ratio), f.Yard, f.Note)
		if err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// num prints a figure with three significant digits or more.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.3f", v)
	}
}

func times(r float64) string {
	if r == 0 {
		return "-"
	}
	return num(r) + "×"
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
