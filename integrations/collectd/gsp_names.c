/*
 * collectd names for gsp's records (the rule of `gsp run --format collectd`, cli/src/collectd.rs;
 * keep the two in step): plugin instances from command lines, snake_case stems of metric and
 * event names, and parts cleaned of what collectd cannot hold and cut to 127 bytes.
 */
#include "gsp_plugin.h"

#include "utils/common/common.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fnv1a(const char *s) {
  uint32_t h = 0x811c9dc5u;
  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 0x01000193u;
  return h;
}

/* Bytes of the character at s that no name part may hold (0 if it may be kept): '/', '\\',
 * '"', control characters (C0, DEL, C1) and U+2028/U+2029. */
size_t breaking_len(const unsigned char *s) {
  if (*s == '/' || *s == '\\' || *s == '"' || *s < 0x20 || *s == 0x7f)
    return 1;
  if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
    return 2;
  if (s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
    return 3;
  return 0;
}

/* One identifier part into out[DATA_MAX_NAME_LEN]: forbidden characters become '_'; a part
 * longer than 127 bytes keeps its first 118 (at a character boundary) plus "~" and a hash. */
void part(char *out, const char *text) {
  size_t n = strlen(text);
  char *clean = malloc(n + 1);
  if (clean == NULL) {
    sstrncpy(out, "out_of_memory", DATA_MAX_NAME_LEN);
    return;
  }
  size_t j = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p;) {
    size_t bad = breaking_len(p);
    if (bad) {
      clean[j++] = '_';
      p += bad;
    } else {
      clean[j++] = (char)*p++;
    }
  }
  clean[j] = '\0';
  if (j <= MAX_PART) {
    memcpy(out, clean, j + 1);
  } else {
    size_t cut = MAX_PART - 9;
    while (cut > 0 && ((unsigned char)clean[cut] & 0xc0) == 0x80)
      cut--;
    snprintf(out, DATA_MAX_NAME_LEN, "%.*s~%08x", (int)cut, clean, fnv1a(clean));
  }
  free(clean);
}

static bool ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The metric (or event) name in snake_case, or "<fallback>_<id>" when that is empty; the caller
 * frees it. Not cut here: part() cuts the whole type instance, as gsp run --format collectd. */
char *stem(const char *name, const char *fallback, int64_t id) {
  size_t cap = 2 * strlen(name) + strlen(fallback) + 24;
  char *out = malloc(cap);
  if (out == NULL)
    return NULL;
  size_t j = 0;
  bool gap = false, prev_lower = false;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (!ascii_alnum(c)) {
      gap = true;
      prev_lower = false;
      continue;
    }
    bool upper = c >= 'A' && c <= 'Z';
    if ((gap || (prev_lower && upper)) && j > 0)
      out[j++] = '_';
    gap = false;
    prev_lower = !upper;
    out[j++] = upper ? (char)(c - 'A' + 'a') : c;
  }
  out[j] = '\0';
  if (j == 0)
    snprintf(out, cap, "%s_%" PRId64, fallback, id);
  return out;
}

/* Splits a command line into words like a POSIX shell (quotes and backslashes, no expansion).
 * Returns the word count; words[i] point into buf, which must hold strlen(line) + 1 bytes. */
static size_t split_words(const char *line, char *buf, char **words, size_t max) {
  size_t n = 0;
  char *o = buf;
  const char *p = line;
  while (*p && n < max) {
    while (*p == ' ' || *p == '\t' || *p == '\n')
      p++;
    if (!*p)
      break;
    words[n++] = o;
    char quote = 0;
    for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
      if (quote == '\'' && *p == '\'')
        quote = 0;
      else if (quote == '"' && *p == '"')
        quote = 0;
      else if (!quote && (*p == '\'' || *p == '"'))
        quote = *p;
      else if (*p == '\\' && quote != '\'' && p[1])
        *o++ = *++p;
      else
        *o++ = *p;
    }
    *o++ = '\0';
  }
  return n;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* The default plugin instance: the base name, without extension, of the command line's first
 * word that is neither an interpreter nor an option ("python3 /opt/netdev.py -v" -> netdev). */
void default_instance(char *out, const char *command) {
  static const char *const interpreters[] = {
      "sh", "bash", "dash", "ksh", "zsh", "env", "python", "python2", "python3", "perl",
      "ruby", "php", "node", "nodejs", "lua", NULL};
  char *buf = strdup(command);
  char *words[64];
  if (buf == NULL) {
    sstrncpy(out, "script", DATA_MAX_NAME_LEN);
    return;
  }
  size_t n = split_words(command, buf, words, 64);
  const char *pick = NULL;
  for (size_t i = 0; i < n && pick == NULL; i++) {
    const char *base = base_name(words[i]);
    bool skip = *base == '\0' || *base == '-';
    for (size_t k = 0; !skip && interpreters[k]; k++)
      skip = strcmp(base, interpreters[k]) == 0;
    if (!skip)
      pick = base;
  }
  if (pick == NULL && n > 0)
    pick = base_name(words[0]);
  char name[DATA_MAX_NAME_LEN * 4];
  snprintf(name, sizeof name, "%s", pick ? pick : "");
  char *dot = strrchr(name, '.');
  if (dot != NULL && dot != name)
    *dot = '\0';
  part(out, name);
  if (*out == '\0')
    sstrncpy(out, "script", DATA_MAX_NAME_LEN);
  free(buf);
}
