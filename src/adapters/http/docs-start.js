// Runs in the browser on /docs (docs.ts): Swagger UI over the document served beside the page.
/* global SwaggerUIBundle */
SwaggerUIBundle({
  url: '/docs/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  // The API's operations alone: no top bar for loading another document.
  layout: 'BaseLayout',
  // Not swagger.io's online validator: the page asks nothing of any other server.
  validatorUrl: null,
});
