package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/podlab/podlab/core/paths"
)

// Recording is what one run of a lab created, kept in paths.Labs()/NN.json
// so that --cleanup and "podlab down" can remove it, even after a crash.
type Recording struct {
	Lab       string     `json:"lab"`
	Name      string     `json:"name"`
	Started   time.Time  `json:"started"`
	Resources []Resource `json:"resources"` // in the order they were created
}

// Resource is one thing a lab created: a kind that Lab.Undo knows how to
// remove, and its name.
type Resource struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func (r Resource) String() string { return fmt.Sprintf("%s %q", r.Kind, r.Name) }

// recordPath is where lab number keeps its record, e.g. /run/podlab/labs/01.json.
func recordPath(number string) string {
	return filepath.Join(paths.Labs(), number+".json")
}

// Record reads what the last run of lab number created. When there is no
// record the error wraps fs.ErrNotExist: check it with errors.Is.
func Record(number string) (*Recording, error) {
	path := recordPath(number)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read record of lab %s: %w", number, err)
	}
	var rec Recording
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("parse record %q: %w", path, err)
	}
	return &rec, nil
}

// add notes a resource once; it reports whether it was new.
func (rec *Recording) add(r Resource) bool {
	if slices.Contains(rec.Resources, r) {
		return false
	}
	rec.Resources = append(rec.Resources, r)
	return true
}

// save writes the record atomically: it is written to a temporary file
// that is then renamed over NN.json, so a crash leaves the old record or
// the new one, never half of one.
func (rec *Recording) save() error {
	path := recordPath(rec.Lab)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %q: %w", filepath.Dir(path), err)
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("encode record of lab %s: %w", rec.Lab, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+rec.Lab+".json.*")
	if err != nil {
		return fmt.Errorf("write record %q: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once the rename succeeded
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Chmod(0o644) // readable without sudo: students may cat it
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write record %q: %w", path, err)
	}
	return nil
}

// undoAll removes rec's resources newest first, the reverse of creation,
// so a thing goes before what it lives in (a veth before its namespace).
// A failed undo is reported and the rest still run. Afterwards the record
// holds only what could not be removed, for a later --cleanup to retry;
// when that is nothing the file is deleted. Every error returned has been
// printed on p.
func undoAll(ctx context.Context, rec *Recording, undo map[string]func(context.Context, string) error, p *printer) error {
	var left []Resource
	var errs []error
	for _, r := range slices.Backward(rec.Resources) {
		if err := undoOne(ctx, r, undo); err != nil {
			p.failed(err)
			left = append([]Resource{r}, left...) // keep creation order
			errs = append(errs, err)
			continue
		}
		p.removed(r)
	}
	rec.Resources = left
	if len(left) > 0 {
		if err := rec.save(); err != nil {
			p.failed(err)
			errs = append(errs, err)
		} else {
			p.note(msgLeft, recordPath(rec.Lab))
		}
		return errors.Join(errs...)
	}
	if err := os.Remove(recordPath(rec.Lab)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("delete record of lab %s: %w", rec.Lab, err)
		p.failed(err)
		return err
	}
	p.note(msgUndone)
	return nil
}

func undoOne(ctx context.Context, r Resource, undo map[string]func(context.Context, string) error) error {
	fn, ok := undo[r.Kind]
	if !ok {
		return fmt.Errorf("remove %s: the lab has no undo for kind %q", r, r.Kind)
	}
	if err := fn(ctx, r.Name); err != nil {
		return fmt.Errorf("remove %s: %w", r, err)
	}
	return nil
}

// Cleanup removes what the last run of lab number recorded, newest first,
// printing each removal (and each failure) to w, then deletes the record.
// It is what "labNN --cleanup" and "podlab down" do. No record means
// nothing to do. What could not be removed stays recorded, and the error
// says why.
func Cleanup(ctx context.Context, number string, undo map[string]func(context.Context, string) error, w io.Writer) error {
	return cleanup(ctx, number, undo, newPrinter(w, "en", false))
}

func cleanup(ctx context.Context, number string, undo map[string]func(context.Context, string) error, p *printer) error {
	rec, err := Record(number)
	if errors.Is(err, fs.ErrNotExist) {
		p.note(msgNothingToClean)
		return nil
	}
	if err != nil {
		p.failed(err)
		return fmt.Errorf("clean up lab %s: %w", number, err)
	}
	p.note(msgCleaningUp, number, recordPath(number))
	if err := undoAll(ctx, rec, undo, p); err != nil {
		return fmt.Errorf("clean up lab %s: %w", number, err)
	}
	return nil
}
