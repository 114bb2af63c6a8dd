// Starts Swagger UI (server/build.rs embeds it) on a family's page at /docs/<family>:
// it renders the document named by #swagger-ui's data-document, which is the URL this
// server serves that document at (/openapi/<file>), so the page shows exactly the YAML.
// Served as a file, not inline, so the pages' Content-Security-Policy can forbid
// inline scripts.
window.addEventListener('DOMContentLoaded', () => {
  const root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({
    url: root.dataset.document,
    domNode: root,
    deepLinking: true,
    displayOperationId: true,
    displayRequestDuration: true,
    // Swagger UI would otherwise send the document to swagger.io to validate it.
    validatorUrl: null,
    // A `?url=` or `?configUrl=` must not point this page at another document.
    queryConfigEnabled: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
