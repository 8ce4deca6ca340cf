package api

// MergePatch applies an RFC 7386 JSON merge patch to target (both decoded
// JSON: maps, lists, strings, numbers) and returns the result, what
// `kubectl patch --type merge` sends: an object in the patch merges into
// the target's, key by key; a null deletes the key; anything else, a list
// too, replaces the value. target's maps may be changed.
func MergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = MergePatch(t[k], v)
		}
	}
	return t
}
