// Security keys (WebAuthn): registration on the enrolment page, the assertion on the sign-in step.
// The server's options come as JSON (py_webauthn's options_to_json, base64url fields); the answer goes
// back as JSON. Nothing here runs where the browser has no WebAuthn: the section stays hidden.
(function () {
  "use strict";
  var box = document.getElementById("security-key");
  if (!box || !window.PublicKeyCredential || !navigator.credentials) { return; }
  box.hidden = false;
  var button = document.getElementById("use-security-key");
  var error = document.getElementById("security-key-error");
  var registering = box.dataset.mode === "register";

  function toBytes(value) {
    var text = value.replace(/-/g, "+").replace(/_/g, "/");
    while (text.length % 4) { text += "="; }
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }
  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body || "{}",
      headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf}
    }).then(function (response) { return response.json(); });
  }
  function list(items) {
    return (items || []).map(function (item) { return Object.assign({}, item, {id: toBytes(item.id)}); });
  }
  function answer(credential) {
    var response = credential.response, out = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: {clientDataJSON: toText(response.clientDataJSON)}
    };
    if (registering) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) { out.response.userHandle = toText(response.userHandle); }
    }
    return JSON.stringify(out);
  }
  button.addEventListener("click", function () {
    error.textContent = "";
    button.disabled = true;
    post(box.dataset.optionsUrl).then(function (options) {
      if (options.error) { throw new Error(options.error); }
      options.challenge = toBytes(options.challenge);
      if (registering) {
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = list(options.excludeCredentials);
        return navigator.credentials.create({publicKey: options});
      }
      options.allowCredentials = list(options.allowCredentials);
      return navigator.credentials.get({publicKey: options});
    }).then(function (credential) {
      return post(box.dataset.verifyUrl, answer(credential));
    }).then(function (result) {
      if (result.redirect) { window.location.assign(result.redirect); return; }
      throw new Error(result.error || "");
    }).catch(function (failure) {
      error.textContent = failure && failure.message ? failure.message : String(failure);
      button.disabled = false;
    });
  });
})();
