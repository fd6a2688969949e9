// trustscan: this page checks its own signature, in the reader's browser, with no server.
// The DSSE envelope and the owner's Ed25519 public key are embedded below as JSON/text; WebCrypto
// verifies the signature over DSSE's pre-authentication encoding, then the signed statement is
// compared with what this page shows (site, overall result, each criterion), and its validity date
// with today. The outcome is written to <html data-signature-status> and said in words.
(function () {
  "use strict";
  var root = document.documentElement;
  function show(status) {
    root.setAttribute("data-signature-status", status);
    var notes = document.querySelectorAll("[data-signature-note]");
    for (var i = 0; i < notes.length; i++) {
      notes[i].hidden = notes[i].getAttribute("data-signature-note") !== status;
    }
  }
  function bytes(b64) {
    var text = atob(b64.replace(/-/g, "+").replace(/_/g, "/"));
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  function utf8(text) { return new TextEncoder().encode(text); }
  function pae(type, body) {
    var typeBytes = utf8(type);
    var parts = [utf8("DSSEv1 " + typeBytes.length + " "), typeBytes, utf8(" " + body.length + " "), body];
    var size = 0, offset = 0;
    parts.forEach(function (p) { size += p.length; });
    var out = new Uint8Array(size);
    parts.forEach(function (p) { out.set(p, offset); offset += p.length; });
    return out;
  }
  // The page must say what was signed: a page edited around an intact envelope is not "valid".
  function matchesPage(report) {
    var fields = document.querySelectorAll("[data-signed-field]");
    if (!fields.length) return false;
    for (var i = 0; i < fields.length; i++) {
      var path = fields[i].getAttribute("data-signed-field").split(".");
      var value = report;
      for (var j = 0; j < path.length; j++) value = value == null ? undefined : value[path[j]];
      if (String(value) !== fields[i].getAttribute("data-signed-value")) return false;
    }
    return true;
  }
  async function check() {
    var envelope = JSON.parse(document.getElementById("trustscan-envelope").textContent);
    var key = document.getElementById("trustscan-public-key").textContent.trim();
    if (!window.crypto || !crypto.subtle || typeof TextEncoder === "undefined") return "unsupported";
    var publicKey;
    try {
      publicKey = await crypto.subtle.importKey("raw", bytes(key), { name: "Ed25519" }, false, ["verify"]);
    } catch (e) {
      return "unsupported";  // this browser's WebCrypto has no Ed25519
    }
    var payload = bytes(envelope.payload);
    var message = pae(envelope.payloadType, payload);
    var good = false;
    for (var i = 0; i < envelope.signatures.length && !good; i++) {
      good = await crypto.subtle.verify({ name: "Ed25519" }, publicKey, bytes(envelope.signatures[i].sig), message);
    }
    if (!good) return "invalid";
    var statement = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
    if (!statement.predicate || !matchesPage(statement.predicate.report)) return "invalid";
    var until = Date.parse(statement.predicate.valid_until);
    if (!(until > Date.now())) return "expired";
    await showFingerprint(bytes(key));
    return "valid";
  }
  // "Valid" means signed by the embedded key: the reader compares its fingerprint, computed here from
  // the key itself (not copied from the page), with the one the owner publishes.
  async function showFingerprint(raw) {
    var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
    var text = "";
    for (var i = 0; i < digest.length; i++) text += String.fromCharCode(digest[i]);
    var fingerprint = "SHA256:" + btoa(text).replace(/=+$/, "");
    var slots = document.querySelectorAll("[data-key-fingerprint]");
    for (var j = 0; j < slots.length; j++) slots[j].textContent = fingerprint;
  }
  check().then(show, function () { show("invalid"); });
})();
