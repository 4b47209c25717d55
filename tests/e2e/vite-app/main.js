// Imports the package by its name, as an application that installed it does.
import init, { getTags } from 'tim-tags';

const params = new URLSearchParams(location.search);
const out = document.getElementById('out');
await init();
getTags(['alice', 'bob'], { endpoint: params.get('endpoint'), token: params.get('token') })
  .then((tags) => (out.textContent = JSON.stringify(tags)))
  .catch((error) => (out.textContent = JSON.stringify({ code: error.code })));
