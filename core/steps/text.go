package steps

import (
	"os"
	"strings"
)

// Text is a sentence in both languages of the lessons, so one binary can
// teach in English or in Chinese.
type Text struct{ EN, ZH string }

// T makes a Text: steps.T("Start a process", "启动一个进程").
func T(en, zh string) Text { return Text{EN: en, ZH: zh} }

// In returns the sentence in lang ("en" or "zh"). A missing translation
// falls back to the other language rather than printing nothing.
func (t Text) In(lang string) string {
	if (lang == "zh" && t.ZH != "") || t.EN == "" {
		return t.ZH
	}
	return t.EN
}

// langs are the values --lang accepts.
var langs = []string{"en", "zh"}

// langFromEnv picks the language the way gettext does: the first of
// LC_ALL, LC_MESSAGES and LANG that is set wins, so LC_ALL=C overrides a
// Chinese LANG. A locale starting with "zh" (zh_CN.UTF-8, zh_TW) means zh.
func langFromEnv() string {
	for _, key := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(key); v != "" {
			if strings.HasPrefix(v, "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}
