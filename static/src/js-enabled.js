// Marks the page as able to run GOV.UK Frontend before it is drawn, so its JavaScript styles apply from the
// start. Loaded as a file at the top of <body>: the Content-Security-Policy allows no inline script.
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
