/* Marks the page as having JavaScript (styles under .js); a file, not an inline script, for the CSP. */
document.documentElement.classList.add("js");
