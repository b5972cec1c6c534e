// Hardened libxml2 parsing and small tree helpers for SAML messages.
//
// Untrusted XML goes through ParseUntrustedXml only: size-limited, DOCTYPE
// refused outright (so no internal or external entities, no DTD-declared ID
// attributes), no network access, no entity substitution, libxml2's default
// nesting limit. The helpers compare namespaces exactly: a SAML element is
// identified by namespace URI + local name, never by prefix.
//
// Thread-safety: documents are not shared between threads; the functions
// hold no state.
#pragma once

#include <libxml/tree.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace certme::saml {

struct XmlDocDeleter {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocDeleter>;

// Largest XML message accepted (after base64 / inflate decoding).
inline constexpr size_t kMaxXmlBytes = 256 * 1024;

// Parses `text` as a standalone XML document. InvalidArgument for: empty or
// larger than `max_bytes`, any DOCTYPE (hence any entity declaration), not
// well-formed, no root element.
StatusOr<XmlDocPtr> ParseUntrustedXml(std::string_view text, size_t max_bytes = kMaxXmlBytes);

// Parses XML this program produced itself (same hardening; Internal on failure).
StatusOr<XmlDocPtr> ParseOwnXml(std::string_view text);

bool IsElement(const xmlNode* node, std::string_view ns, std::string_view local);
// Element children of `parent`, in order; filtered by namespace + name when given.
std::vector<xmlNode*> ChildElements(const xmlNode* parent);
std::vector<xmlNode*> ChildElements(const xmlNode* parent, std::string_view ns,
                                    std::string_view local);
// The only child with that name: nullptr when absent; `*count` receives the
// number found so callers can refuse duplicates.
xmlNode* ChildElement(const xmlNode* parent, std::string_view ns, std::string_view local,
                      size_t* count = nullptr);
// Every element below `root` (inclusive) with that name, document order.
std::vector<xmlNode*> Descendants(const xmlNode* root, std::string_view ns, std::string_view local);

// An attribute without namespace; nullopt when absent.
std::optional<std::string> Attr(const xmlNode* node, std::string_view name);
// Concatenated text content, surrounding ASCII whitespace trimmed.
std::string Text(const xmlNode* node);
// The whole document as UTF-8 (no reformatting, so signatures stay valid).
std::string SerializeDoc(xmlDoc* doc);
// One element and its subtree as UTF-8, no XML declaration (namespaces
// declared on ancestors are not repeated).
std::string SerializeNode(xmlDoc* doc, xmlNode* node);

// Escapes text for element content and double-quoted attribute values.
std::string XmlEscape(std::string_view s);

// SAML Core §1.3.3: xs:dateTime in UTC, "2024-05-01T10:00:00Z".
std::string FormatSamlTime(int64_t unix_seconds);
// Accepts "YYYY-MM-DDThh:mm:ss[.fff]Z" (UTC only, as SAML Core §1.3.3 requires).
std::optional<int64_t> ParseSamlTime(std::string_view text);

}  // namespace certme::saml
