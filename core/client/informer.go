package client

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/podlab/podlab/core/api"
)

// Back-off between failed lists and watches: 200 ms, doubling, at most
// 5 s. A healthy watch (one that delivered an event, or stayed open for a
// while) resets it.
const (
	informerMinBackoff = 200 * time.Millisecond
	informerMaxBackoff = 5 * time.Second
)

// shortWatch: a watch that ends sooner than this without delivering a
// single event is treated as a failure, as client-go's reflector does, so
// that a server which closes every stream at once is not asked again in a
// tight loop.
const shortWatch = time.Second

// ListerWatcher is what an Informer needs from the API server; a
// *Resource[T] has both methods, and tests pass a fake.
type ListerWatcher[T api.Object] interface {
	List(ctx context.Context, opts ListOptions) ([]T, string, error)
	Watch(ctx context.Context, opts ListOptions) (*Watcher[T], error)
}

// Handler receives the changes an Informer sees. Nil funcs are skipped.
//
// The handlers of an Informer are called one at a time, from its Run
// goroutine, in the order the changes happened, and after the cache holds
// the change. They must be quick: a controller's handlers only add keys
// to its Queue (STYLE.md rule 7). The objects are the cache's own: never
// change them (see Informer).
type Handler[T api.Object] struct {
	OnAdd    func(obj T)
	OnUpdate func(old, new T) // old == new on a resync
	OnDelete func(obj T)      // obj as it was last seen
}

// Informer keeps a local copy of the objects of one resource and tells
// its handlers about every change: client-go's shared informer in
// miniature. It lists the objects once, then watches for changes from the
// list's resourceVersion, so a controller reads its cache instead of
// asking the API server on every sync.
//
//	pods := client.NewInformer(c.Pods(""), client.ListOptions{}, 10*time.Minute)
//	pods.AddHandler(client.Handler[*api.Pod]{OnAdd: func(p *api.Pod) { queue.Add(...) }})
//	go pods.Run(ctx)
//	if !client.WaitForSync(ctx, pods) { return }
//
// The objects Get, List and the handlers hand out are shared by every
// reader of the cache: a caller that wants to change one must change an
// api.DeepCopy of it (STYLE.md rule 6), or it would corrupt the cache.
type Informer[T api.Object] struct {
	lw     ListerWatcher[T]
	opts   ListOptions
	resync time.Duration
	name   string // the resource, for logs

	mu       sync.RWMutex
	items    map[string]T // by KeyFor(namespace, name)
	handlers []Handler[T]
	started  bool

	synced atomic.Bool

	// Used only by the Run goroutine.
	lastRV  string // where the next watch resumes
	backoff backoff
}

// NewInformer returns an informer of the objects lw lists and watches
// with opts (its label and field selectors narrow the cache). Every
// resync it calls OnUpdate(obj, obj) for every cached object, so that a
// level-triggered controller rechecks everything now and then; 0 never
// resyncs. Nothing happens until Run.
func NewInformer[T api.Object](lw ListerWatcher[T], opts ListOptions, resync time.Duration) *Informer[T] {
	return &Informer[T]{
		lw:      lw,
		opts:    opts,
		resync:  resync,
		name:    resourceName[T](lw),
		items:   map[string]T{},
		backoff: backoff{min: informerMinBackoff, max: informerMaxBackoff},
	}
}

// resourceName names what lw lists, like "pods", for the logs.
func resourceName[T api.Object](lw ListerWatcher[T]) string {
	if r, ok := lw.(interface{ Name() string }); ok {
		return r.Name()
	}
	var zero T
	if name := api.Resource(zero); name != "" {
		return name
	}
	return fmt.Sprintf("%T", zero)
}

// AddHandler adds h to the handlers. Call it before Run: a handler added
// later would miss the objects already cached, so it panics.
func (i *Informer[T]) AddHandler(h Handler[T]) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.started {
		panic("client: Informer.AddHandler called after Run")
	}
	i.handlers = append(i.handlers, h)
}

// HasSynced reports whether the first list is in the cache and the
// handlers have had its OnAdds. A controller must not sync before: an
// empty cache would look like "no pods", and it would create them all.
func (i *Informer[T]) HasSynced() bool { return i.synced.Load() }

// WaitForSync blocks until every informer has synced, and reports false
// if ctx ended first.
func WaitForSync(ctx context.Context, informers ...interface{ HasSynced() bool }) bool {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if allSynced(informers) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

func allSynced(informers []interface{ HasSynced() bool }) bool {
	for _, inf := range informers {
		if !inf.HasSynced() {
			return false
		}
	}
	return true
}

// Get returns the cached object with key KeyFor(namespace, name). It is
// shared: api.DeepCopy it before changing it.
func (i *Informer[T]) Get(key string) (T, bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	obj, ok := i.items[key]
	return obj, ok
}

// List returns every cached object whose labels match sel (api.Everything()
// or nil for all), sorted by key. The objects are shared: api.DeepCopy one
// before changing it.
func (i *Informer[T]) List(sel api.Selector) []T {
	return i.list(func(*api.ObjectMeta) bool { return true }, sel)
}

// ListNamespace is List for the objects of namespace ns only.
func (i *Informer[T]) ListNamespace(ns string, sel api.Selector) []T {
	return i.list(func(m *api.ObjectMeta) bool { return m.Namespace == ns }, sel)
}

func (i *Informer[T]) list(keep func(*api.ObjectMeta) bool, sel api.Selector) []T {
	if sel == nil {
		sel = api.Everything()
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	var out []T
	for _, obj := range i.items {
		if m := obj.GetObjectMeta(); keep(m) && sel.Matches(m.Labels) {
			out = append(out, obj)
		}
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(keyOf(a), keyOf(b)) })
	return out
}

func keyOf(obj api.Object) string {
	m := obj.GetObjectMeta()
	return KeyFor(m.Namespace, m.Name)
}

// Run fills the cache and keeps it up to date until ctx ends. Call it once.
//
// It lists, then watches from the list's resourceVersion. When a watch
// ends it watches again from the last resourceVersion it saw, without
// listing; only if the server says that version is too old (410 Gone), or
// a watch cannot be opened, does it list again, and then tells the
// handlers what changed in between.
func (i *Informer[T]) Run(ctx context.Context) {
	i.start()
	var tick <-chan time.Time // stays nil, never ready, without resync
	if i.resync > 0 {
		t := time.NewTicker(i.resync)
		defer t.Stop()
		tick = t.C
	}
	relist := true
	for ctx.Err() == nil {
		if relist {
			if err := i.relist(ctx); err != nil {
				i.retryLater(ctx, "list failed", err)
				continue
			}
		}
		relist = i.watch(ctx, tick)
	}
}

// start marks the informer running, so AddHandler refuses from now on.
func (i *Informer[T]) start() {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.started {
		panic("client: Informer.Run called twice")
	}
	i.started = true
}

// retryLater logs why the informer must wait, and waits for the back-off.
func (i *Informer[T]) retryLater(ctx context.Context, msg string, err error) {
	if ctx.Err() != nil {
		return // shutting down: nothing went wrong
	}
	d := i.backoff.next()
	slog.Warn(msg+", will list again", "resource", i.name, "error", err, "retryIn", d)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// relist lists the objects, makes the cache hold exactly them, and tells
// the handlers the difference: OnAdd for new objects, OnUpdate for
// changed ones (another resourceVersion), OnDelete for those gone.
func (i *Informer[T]) relist(ctx context.Context) error {
	opts := i.opts
	opts.ResourceVersion = "" // the latest state
	items, rv, err := i.lw.List(ctx, opts)
	if err != nil {
		return err
	}
	fresh := make(map[string]T, len(items))
	for _, obj := range items {
		fresh[keyOf(obj)] = obj
	}

	i.mu.Lock()
	old := i.items
	i.items = fresh
	i.mu.Unlock()

	// In key order, so that what handlers see does not depend on map order.
	for _, key := range slices.Sorted(maps.Keys(fresh)) {
		obj := fresh[key]
		before, ok := old[key]
		switch {
		case !ok:
			i.notify(func(h Handler[T]) { call1(h.OnAdd, obj) })
		case rvOf(before) != rvOf(obj):
			i.notify(func(h Handler[T]) { call2(h.OnUpdate, before, obj) })
		}
	}
	for _, key := range slices.Sorted(maps.Keys(old)) {
		if _, ok := fresh[key]; !ok {
			gone := old[key]
			i.notify(func(h Handler[T]) { call1(h.OnDelete, gone) })
		}
	}

	i.lastRV = rv
	if i.synced.Load() {
		slog.Info("listed again", "resource", i.name, "objects", len(items), "resourceVersion", rv)
	} else {
		slog.Info("watch cache filled", "resource", i.name, "objects", len(items), "resourceVersion", rv)
		i.synced.Store(true)
	}
	return nil
}

// watch follows one watch stream from the last resourceVersion seen
// until it ends, and reports whether the next step is to list again
// (true) or to watch again from where this one stopped (false).
func (i *Informer[T]) watch(ctx context.Context, tick <-chan time.Time) (relist bool) {
	// The stream's own context: whatever happens, the watch's goroutine
	// stops when this function returns.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	opts := i.opts
	opts.ResourceVersion = i.lastRV
	w, err := i.lw.Watch(ctx, opts)
	if err != nil {
		if IsGone(err) {
			slog.Info("resourceVersion too old, listing again", "resource", i.name, "resourceVersion", i.lastRV)
			return true
		}
		i.retryLater(ctx, "watch failed", err)
		return true
	}

	began := time.Now()
	n, err := i.follow(ctx, w, tick)
	switch {
	case ctx.Err() != nil:
		return false // Run returns
	case IsGone(err):
		slog.Info("resourceVersion too old, listing again", "resource", i.name, "resourceVersion", i.lastRV)
		return true
	case n == 0 && time.Since(began) < shortWatch:
		i.retryLater(ctx, "watch ended at once", cmp.Or(err, errors.New("no events")))
		return true
	}
	i.backoff.reset() // a healthy watch
	if err != nil {
		slog.Warn("watch ended, watching again", "resource", i.name, "error", err, "resourceVersion", i.lastRV)
	}
	return false
}

// follow applies the events of w to the cache, and resyncs on each tick,
// until the stream ends. It returns how many events it applied and why
// the stream ended (nil for a timeout).
func (i *Informer[T]) follow(ctx context.Context, w *Watcher[T], tick <-chan time.Time) (int, error) {
	n := 0
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				return n, w.Err()
			}
			i.apply(ev)
			n++
		case <-tick:
			i.resyncAll()
		case <-ctx.Done():
			return n, ctx.Err()
		}
	}
}

// apply puts one watch event into the cache, then tells the handlers. An
// ADDED for an object the cache has is an update, as in client-go: after
// a rewatch, the server may resend what the informer has seen.
func (i *Informer[T]) apply(ev Event[T]) {
	obj := ev.Object
	i.lastRV = rvOf(obj)
	key := keyOf(obj)

	i.mu.Lock()
	old, had := i.items[key]
	switch ev.Type {
	case Added, Modified:
		i.items[key] = obj
	case Deleted:
		delete(i.items, key)
	}
	i.mu.Unlock()

	switch {
	case ev.Type == Deleted && had:
		i.notify(func(h Handler[T]) { call1(h.OnDelete, obj) })
	case ev.Type == Deleted:
		// Never seen, so never announced: nothing to retract.
	case ev.Type != Added && ev.Type != Modified:
		// A BOOKMARK only moves the resourceVersion on.
	case had:
		i.notify(func(h Handler[T]) { call2(h.OnUpdate, old, obj) })
	default:
		i.notify(func(h Handler[T]) { call1(h.OnAdd, obj) })
	}
}

// resyncAll calls OnUpdate(obj, obj) for every cached object, in key order.
func (i *Informer[T]) resyncAll() {
	for _, obj := range i.List(nil) {
		i.notify(func(h Handler[T]) { call2(h.OnUpdate, obj, obj) })
	}
}

// notify calls fn with every handler. The handlers are fixed once Run
// has started, so no lock is needed to read them.
func (i *Informer[T]) notify(fn func(Handler[T])) {
	for _, h := range i.handlers {
		fn(h)
	}
}

func call1[T any](f func(T), a T) {
	if f != nil {
		f(a)
	}
}

func call2[T any](f func(T, T), a, b T) {
	if f != nil {
		f(a, b)
	}
}

func rvOf(obj api.Object) string { return obj.GetObjectMeta().ResourceVersion }

// backoff is a delay that doubles on each failure, from min up to max.
type backoff struct {
	min, max time.Duration
	cur      time.Duration // the last delay given, 0 after reset
}

func (b *backoff) next() time.Duration {
	b.cur = min(max(2*b.cur, b.min), b.max)
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }
