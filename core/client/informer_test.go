package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/podlab/podlab/core/api"
)

// The informer tests run in a synctest bubble: fake time makes back-off
// and resync exact, and synctest.Wait says when the informer has done all
// it can with what it was given.

func pod(ns, name, rv string, labels ...string) *api.Pod {
	p := &api.Pod{ObjectMeta: api.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: rv}}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		if p.Labels == nil {
			p.Labels = map[string]string{}
		}
		p.Labels[k] = v
	}
	return p
}

// listAnswer is what the fake's List returns once.
type listAnswer struct {
	items []*api.Pod
	rv    string
	err   error
}

// fakeLW is a ListerWatcher scripted by the test: List returns the next
// of lists (the last one again and again), Watch returns the next of
// watchErrs, or, once they are used up, opens a fakeWatch and hands it to
// the test on watches.
type fakeLW struct {
	mu         sync.Mutex
	lists      []listAnswer
	listCalls  []ListOptions
	listTimes  []time.Time
	watchErrs  []error
	watchCalls []ListOptions
	watchTimes []time.Time

	watches chan *fakeWatch
}

func newFakeLW(lists ...listAnswer) *fakeLW {
	return &fakeLW{lists: lists, watches: make(chan *fakeWatch)}
}

func (f *fakeLW) List(ctx context.Context, opts ListOptions) ([]*api.Pod, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.listCalls = append(f.listCalls, opts)
	f.listTimes = append(f.listTimes, time.Now())
	a := f.lists[0]
	if len(f.lists) > 1 {
		f.lists = f.lists[1:]
	}
	return a.items, a.rv, a.err
}

func (f *fakeLW) Watch(ctx context.Context, opts ListOptions) (*Watcher[*api.Pod], error) {
	f.mu.Lock()
	f.watchCalls = append(f.watchCalls, opts)
	f.watchTimes = append(f.watchTimes, time.Now())
	if len(f.watchErrs) > 0 {
		err := f.watchErrs[0]
		f.watchErrs = f.watchErrs[1:]
		f.mu.Unlock()
		return nil, err
	}
	f.mu.Unlock()
	fw := &fakeWatch{ctx: ctx, opts: opts, w: &Watcher[*api.Pod]{events: make(chan Event[*api.Pod])}}
	select {
	case f.watches <- fw:
		return fw.w, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *fakeLW) listOpts() []ListOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.listCalls)
}

// fakeWatch plays the API server's side of one watch stream.
type fakeWatch struct {
	ctx  context.Context
	opts ListOptions
	w    *Watcher[*api.Pod]
}

// send delivers one event and waits until the informer has handled it.
func (fw *fakeWatch) send(t *testing.T, typ EventType, p *api.Pod) {
	t.Helper()
	select {
	case fw.w.events <- Event[*api.Pod]{Type: typ, Object: p}:
	case <-fw.ctx.Done():
		t.Fatalf("send %s %s: the informer stopped watching", typ, p.Name)
	}
	synctest.Wait()
}

// end closes the stream, as Watcher.read does: err first, then the channel.
func (fw *fakeWatch) end(err error) {
	fw.w.err = err
	close(fw.w.events)
}

// handlerLog records what the handlers were told, one line per call.
type handlerLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *handlerLog) add(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// take returns the lines so far and forgets them.
func (l *handlerLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := l.lines
	l.lines = nil
	return lines
}

func (l *handlerLog) handler() Handler[*api.Pod] {
	return Handler[*api.Pod]{
		OnAdd: func(p *api.Pod) { l.add("add %s %s", keyOf(p), p.ResourceVersion) },
		OnUpdate: func(old, new *api.Pod) {
			if old == new {
				l.add("resync %s %s", keyOf(new), new.ResourceVersion)
				return
			}
			l.add("update %s %s->%s", keyOf(new), old.ResourceVersion, new.ResourceVersion)
		},
		OnDelete: func(p *api.Pod) { l.add("delete %s %s", keyOf(p), p.ResourceVersion) },
	}
}

// runInformer starts an informer on lw with a handlerLog, and stops it
// when the test ends.
func runInformer(t *testing.T, lw *fakeLW, opts ListOptions, resync time.Duration) (*Informer[*api.Pod], *handlerLog) {
	inf := NewInformer[*api.Pod](lw, opts, resync)
	log := &handlerLog{}
	inf.AddHandler(log.handler())
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() {
		inf.Run(ctx)
		close(stopped)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped // Run returns once ctx ends
	})
	return inf, log
}

func wantLines(t *testing.T, log *handlerLog, want ...string) {
	t.Helper()
	if got := log.take(); !slices.Equal(got, want) {
		t.Errorf("handlers got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func wantRV(t *testing.T, inf *Informer[*api.Pod], key, rv string) {
	t.Helper()
	p, ok := inf.Get(key)
	switch {
	case !ok && rv != "":
		t.Errorf("Get(%q): not cached, want resourceVersion %s", key, rv)
	case ok && rv == "":
		t.Errorf("Get(%q): cached at %s, want gone", key, p.ResourceVersion)
	case ok && p.ResourceVersion != rv:
		t.Errorf("Get(%q): resourceVersion %s, want %s", key, p.ResourceVersion, rv)
	}
}

var errGone = &StatusError{Code: 410, Reason: "Expired", Message: "too old resource version: 5 (40)"}

// The first list becomes OnAdds, then HasSynced; watch events from the
// list's resourceVersion update the cache and call the handlers.
func TestInformerListThenWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(listAnswer{items: []*api.Pod{pod("ns1", "a", "1"), pod("ns1", "b", "2")}, rv: "5"})
		opts := ListOptions{LabelSelector: "app", TimeoutSeconds: 300}
		inf := NewInformer[*api.Pod](lw, opts, 0)
		var syncedDuringAdds []bool
		inf.AddHandler(Handler[*api.Pod]{OnAdd: func(*api.Pod) { syncedDuringAdds = append(syncedDuringAdds, inf.HasSynced()) }})
		if inf.HasSynced() {
			t.Fatal("HasSynced before Run")
		}
		log := &handlerLog{}
		inf.AddHandler(log.handler())
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go inf.Run(ctx)

		fw := <-lw.watches
		if !inf.HasSynced() {
			t.Error("HasSynced is false after the first list")
		}
		if !slices.Equal(syncedDuringAdds, []bool{false, false}) {
			t.Errorf("HasSynced during the first OnAdds = %v, want false: handlers first", syncedDuringAdds)
		}
		wantLines(t, log, "add ns1/a 1", "add ns1/b 2")
		if got := lw.listOpts()[0]; got != (ListOptions{LabelSelector: "app", TimeoutSeconds: 300}) {
			t.Errorf("List options = %+v, want the informer's", got)
		}
		if want := (ListOptions{LabelSelector: "app", TimeoutSeconds: 300, ResourceVersion: "5"}); fw.opts != want {
			t.Errorf("Watch options = %+v, want %+v", fw.opts, want)
		}

		fw.send(t, Added, pod("ns1", "c", "6"))
		fw.send(t, Modified, pod("ns1", "a", "7"))
		fw.send(t, Deleted, pod("ns1", "b", "8"))
		fw.send(t, Added, pod("ns1", "c", "9"))    // known: an update
		fw.send(t, Deleted, pod("ns1", "x", "10")) // never seen: nothing
		wantLines(t, log, "add ns1/c 6", "update ns1/a 1->7", "delete ns1/b 8", "update ns1/c 6->9")
		wantRV(t, inf, "ns1/a", "7")
		wantRV(t, inf, "ns1/b", "")
		wantRV(t, inf, "ns1/c", "9")
	})
}

// A watch that ends with 410 Gone makes the informer list again at once;
// the handlers learn what changed while it was not watching.
func TestInformerRelistsAfterGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(
			listAnswer{items: []*api.Pod{pod("ns1", "a", "1"), pod("ns1", "b", "2"), pod("ns1", "c", "3")}, rv: "5"},
			listAnswer{items: []*api.Pod{pod("ns1", "d", "10"), pod("ns1", "c", "9"), pod("ns1", "a", "6")}, rv: "12"},
		)
		inf, log := runInformer(t, lw, ListOptions{}, 0)
		fw := <-lw.watches
		log.take()

		fw.send(t, Modified, pod("ns1", "a", "6"))
		ended := time.Now()
		fw.end(errGone)
		fw = <-lw.watches

		if n := len(lw.listOpts()); n != 2 {
			t.Fatalf("%d lists, want 2", n)
		}
		if d := lw.listTimes[1].Sub(ended); d != 0 {
			t.Errorf("listed again after %v, want at once", d)
		}
		// a is unchanged (same resourceVersion): no call.
		wantLines(t, log, "update ns1/a 1->6", "update ns1/c 3->9", "add ns1/d 10", "delete ns1/b 2")
		if fw.opts.ResourceVersion != "12" {
			t.Errorf("watching from %q after the relist, want the list's \"12\"", fw.opts.ResourceVersion)
		}
		wantRV(t, inf, "ns1/b", "")
		wantRV(t, inf, "ns1/d", "10")
	})
}

// A Watch call refused with 410 Gone also lists again at once.
func TestInformerRelistsWhenWatchIsGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(listAnswer{items: []*api.Pod{pod("ns1", "a", "1")}, rv: "5"})
		lw.watchErrs = []error{errGone}
		start := time.Now()
		runInformer(t, lw, ListOptions{}, 0)
		<-lw.watches
		if n := len(lw.listOpts()); n != 2 {
			t.Fatalf("%d lists, want 2", n)
		}
		if d := lw.listTimes[1].Sub(start); d != 0 {
			t.Errorf("listed again after %v, want at once", d)
		}
	})
}

// A watch that ends otherwise (timeout, dropped connection) is opened
// again at once from the last resourceVersion seen, without a list.
func TestInformerRewatchesFromLastResourceVersion(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(listAnswer{items: []*api.Pod{pod("ns1", "a", "1")}, rv: "5"})
		_, log := runInformer(t, lw, ListOptions{LabelSelector: "app=web"}, 0)
		fw := <-lw.watches
		log.take()

		steps := []struct {
			event EventType
			rv    string
			end   error
		}{
			{Added, "6", nil}, // the watch timed out
			{Modified, "7", errors.New("watch pods: unexpected EOF")},
			{"BOOKMARK", "8", nil}, // only moves the resourceVersion on
		}
		for _, s := range steps {
			fw.send(t, s.event, pod("ns1", "c", s.rv))
			ended := time.Now()
			fw.end(s.end)
			fw = <-lw.watches
			if want := (ListOptions{LabelSelector: "app=web", ResourceVersion: s.rv}); fw.opts != want {
				t.Errorf("after %s at %s: watching with %+v, want %+v", s.event, s.rv, fw.opts, want)
			}
			if d := time.Since(ended); d != 0 {
				t.Errorf("after %s at %s: watching again after %v, want at once", s.event, s.rv, d)
			}
		}
		if n := len(lw.listOpts()); n != 1 {
			t.Errorf("%d lists, want 1: a rewatch needs none", n)
		}
		wantLines(t, log, "add ns1/c 6", "update ns1/c 6->7")
	})
}

// Failed lists and watches are retried after a back-off that doubles;
// a failed watch is followed by a list. A watch that ends at once with
// nothing counts as failed.
func TestInformerBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		down := errors.New("connection refused")
		lw := newFakeLW(
			listAnswer{err: down},
			listAnswer{err: down},
			listAnswer{items: []*api.Pod{pod("ns1", "a", "1")}, rv: "5"},
		)
		lw.watchErrs = []error{down, down}
		start := time.Now()
		inf, _ := runInformer(t, lw, ListOptions{}, 0)

		fw := <-lw.watches
		fw.end(nil) // at once, with no event: a failure too
		fw = <-lw.watches
		fw.send(t, Added, pod("ns1", "b", "6"))
		fw.end(nil) // healthy: the back-off starts again from 200 ms
		fw = <-lw.watches
		fw.end(nil)
		<-lw.watches

		ms := func(ts []time.Time) []time.Duration {
			var out []time.Duration
			for _, t := range ts {
				out = append(out, t.Sub(start)/time.Millisecond)
			}
			return out
		}
		// lists:   0 ✗, 200 ✗, 600 ✓ → watch ✗ → 1400 ✓ → watch ✗ → 3000 ✓
		//          → watch ends at once → 6200 ✓ → watch, event, rewatch
		//          at once → ends at once → 6400 ✓ → watch.
		wantLists := []time.Duration{0, 200, 600, 1400, 3000, 6200, 6400}
		wantWatches := []time.Duration{600, 1400, 3000, 6200, 6200, 6400}
		if got := ms(lw.listTimes); !slices.Equal(got, wantLists) {
			t.Errorf("lists at %v ms, want %v", got, wantLists)
		}
		if got := ms(lw.watchTimes); !slices.Equal(got, wantWatches) {
			t.Errorf("watches at %v ms, want %v", got, wantWatches)
		}
		if !inf.HasSynced() {
			t.Error("not synced")
		}
	})
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	b := backoff{min: informerMinBackoff, max: informerMaxBackoff}
	var got []time.Duration
	for range 7 {
		got = append(got, b.next())
	}
	b.reset()
	got = append(got, b.next())
	ms := time.Millisecond
	want := []time.Duration{200 * ms, 400 * ms, 800 * ms, 1600 * ms, 3200 * ms, 5000 * ms, 5000 * ms, 200 * ms}
	if !slices.Equal(got, want) {
		t.Errorf("back-off %v, want %v", got, want)
	}
}

// Every resync period, each cached object comes again as OnUpdate(obj, obj).
func TestInformerResync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(listAnswer{items: []*api.Pod{pod("ns1", "b", "2"), pod("ns1", "a", "1")}, rv: "5"})
		_, log := runInformer(t, lw, ListOptions{}, 30*time.Second)
		fw := <-lw.watches
		log.take()

		time.Sleep(29 * time.Second)
		fw.send(t, Modified, pod("ns1", "a", "6"))
		wantLines(t, log, "update ns1/a 1->6")
		time.Sleep(time.Second)
		synctest.Wait()
		wantLines(t, log, "resync ns1/a 6", "resync ns1/b 2")
		time.Sleep(30 * time.Second)
		synctest.Wait()
		wantLines(t, log, "resync ns1/a 6", "resync ns1/b 2")
	})
}

func TestInformerGetAndList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(listAnswer{items: []*api.Pod{
			pod("ns2", "c", "3", "app=web"),
			pod("ns1", "b", "2", "app=db"),
			pod("ns1", "a", "1", "app=web", "tier=fe"),
		}, rv: "5"})
		inf, _ := runInformer(t, lw, ListOptions{}, 0)
		<-lw.watches

		web, err := api.ParseSelector("app=web")
		if err != nil {
			t.Fatal(err)
		}
		keys := func(pods []*api.Pod) []string {
			var out []string
			for _, p := range pods {
				out = append(out, keyOf(p))
			}
			return out
		}
		for _, tc := range []struct {
			name string
			got  []*api.Pod
			want []string
		}{
			{"List(Everything)", inf.List(api.Everything()), []string{"ns1/a", "ns1/b", "ns2/c"}},
			{"List(nil)", inf.List(nil), []string{"ns1/a", "ns1/b", "ns2/c"}},
			{"List(app=web)", inf.List(web), []string{"ns1/a", "ns2/c"}},
			{"List(Nothing)", inf.List(api.Nothing()), nil},
			{"ListNamespace(ns1, app=web)", inf.ListNamespace("ns1", web), []string{"ns1/a"}},
			{"ListNamespace(ns1, Everything)", inf.ListNamespace("ns1", api.Everything()), []string{"ns1/a", "ns1/b"}},
			{"ListNamespace(ns3, Everything)", inf.ListNamespace("ns3", api.Everything()), nil},
		} {
			if got := keys(tc.got); !slices.Equal(got, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, got, tc.want)
			}
		}
		if p, ok := inf.Get(KeyFor("ns2", "c")); !ok || p.Name != "c" {
			t.Errorf("Get(ns2/c) = %v, %v; want pod c", p, ok)
		}
		if _, ok := inf.Get("c"); ok {
			t.Error("Get(c) found a pod: keys of namespaced objects have their namespace")
		}
	})
}

func TestWaitForSync(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ok := newFakeLW(listAnswer{rv: "1"})
		broken := newFakeLW(listAnswer{err: errors.New("connection refused")})
		good, _ := runInformer(t, ok, ListOptions{}, 0)
		bad, _ := runInformer(t, broken, ListOptions{}, 0)
		go func() { <-ok.watches }() // accept the watch, deliver nothing

		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		if !WaitForSync(ctx, good) {
			t.Error("WaitForSync(good) = false, want true")
		}
		if WaitForSync(ctx, good, bad) {
			t.Error("WaitForSync(good, bad) = true, want false: bad never lists")
		}
	})
}

func TestInformerAddHandlerAfterRunPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lw := newFakeLW(listAnswer{rv: "1"})
		inf, _ := runInformer(t, lw, ListOptions{}, 0)
		<-lw.watches
		defer func() {
			if recover() == nil {
				t.Error("AddHandler after Run did not panic")
			}
		}()
		inf.AddHandler(Handler[*api.Pod]{})
	})
}
