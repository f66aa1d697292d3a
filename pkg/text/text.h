/* text: character-level helpers the hand-written scanners and emitters share
 * (the PromQL selector in pkg/slo, YAML scalars and output in pkg/yaml):
 * digit values and UTF-8. Pure functions on bytes: no allocation, no shared
 * state, nothing that can fail other than by its return value.
 */
#ifndef BR_TEXT_H
#define BR_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* The value of c as a digit of base 16 or less: 0-9, then a-f or A-F for
 * 10-15; -1 for any other character. A caller reading base b also refuses
 * a value >= b. */
int br_text_digit(char c);

/* Writes code point cp (at most 0x10FFFF) as UTF-8 into out and returns the
 * number of bytes written (1 to 4). Does not check for surrogates: the
 * caller decides what it accepts. */
size_t br_text_utf8_encode(uint32_t cp, char out[4]);

/* Whether the n bytes at s are well-formed UTF-8: no stray or missing
 * continuation byte, no overlong form, nothing past U+10FFFF, no
 * surrogate. */
int br_text_utf8_valid(const char *s, size_t n);

#endif
