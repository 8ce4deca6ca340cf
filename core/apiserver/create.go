package apiserver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"

	"github.com/podlab/podlab/core/api"
	"github.com/podlab/podlab/core/store"
)

// create answers POST on a collection: it stores a new object and answers
// 201 with the object as stored.
func (s *Server) create(w http.ResponseWriter, r *http.Request, t target) error {
	obj, err := decodeBody(r, t.res)
	if err != nil {
		return err
	}
	if err := checkNamespace(obj, t); err != nil {
		return err
	}
	out, err := s.createObject(r.Context(), t.res, obj)
	if err != nil {
		return err
	}
	return writeObject(w, http.StatusCreated, out)
}

// nameAttempts is how many random names a create with generateName tries
// before it gives up with AlreadyExists.
const nameAttempts = 5

// createObject stores obj, of resource res, as a new object: with a name
// made from generateName if it has none, a new uid, creationTimestamp
// now, generation 1, the defaults of its kind, and only if it is valid.
// It returns the object as stored, with its resourceVersion.
func (s *Server) createObject(ctx context.Context, res resource, obj api.Object) (api.Object, error) {
	if res.namespaced {
		if err := s.checkNamespaceActive(ctx, obj.GetObjectMeta().Namespace); err != nil {
			return nil, err
		}
	}
	prepareForCreate(obj)
	generated := obj.GetObjectMeta().Name == "" && obj.GetObjectMeta().GenerateName != ""
	for attempt := 1; ; attempt++ {
		// Each attempt starts again from the body: defaults may depend on
		// the name, like the job-name label of a Job's pods.
		next := api.DeepCopy(obj)
		m := next.GetObjectMeta()
		if generated {
			m.Name = m.GenerateName + randomSuffix()
		}
		api.Default(next)
		if p, ok := next.(*api.Pod); ok {
			admitPod(p)
		}
		if errs := api.Validate(next); len(errs) > 0 {
			return nil, invalid(res.kind, m.Name, errs)
		}
		value, err := encodeForStore(next)
		if err != nil {
			return nil, err
		}
		rev, err := s.store.Create(ctx, keyOf(next), value)
		if errors.Is(err, store.ErrExists) && generated && attempt < nameAttempts {
			continue // another object took the random name: draw again
		}
		if errors.Is(err, store.ErrExists) {
			return nil, alreadyExists(res, m.Name)
		}
		if err != nil {
			return nil, err
		}
		setRevision(next, rev)
		return next, nil
	}
}

// prepareForCreate sets what the server decides about a new object,
// whatever the client sent: a new uid (api.Default makes it), the time of
// creation, generation 1, and nothing of a deletion. A new pod is Pending:
// its status is for its node to report.
func prepareForCreate(obj api.Object) {
	m := obj.GetObjectMeta()
	m.UID = ""
	m.ResourceVersion = ""
	m.Generation = 1
	m.CreationTimestamp = now()
	m.DeletionTimestamp = nil
	m.DeletionGracePeriodSeconds = nil
	if p, ok := obj.(*api.Pod); ok {
		p.Status = api.PodStatus{Phase: api.PodPending}
	}
}

// nameAlphabet is the alphabet of the random part of a generated name:
// Kubernetes' own, without vowels (no words) and without 0, 1 and 3
// (which look like o, l and e).
const nameAlphabet = "bcdfghjklmnpqrstvwxz2456789"

// randomSuffix returns five random letters of nameAlphabet, like "x7k2p":
// "web-" becomes "web-x7k2p".
func randomSuffix() string {
	b := make([]byte, 5)
	for i := range b {
		b[i] = nameAlphabet[rand.IntN(len(nameAlphabet))]
	}
	return string(b)
}
