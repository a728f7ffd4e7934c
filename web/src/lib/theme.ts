// Light, dark, or the system's choice; stored per browser, applied as <html data-theme>.
export type ThemeChoice = "system" | "light" | "dark";

const KEY = "berth.theme";
const media = () => window.matchMedia("(prefers-color-scheme: dark)");

export function themeChoice(): ThemeChoice {
  const v = localStorage.getItem(KEY);
  return v === "light" || v === "dark" ? v : "system";
}

export function effectiveTheme(choice = themeChoice()): "light" | "dark" {
  return choice === "system" ? (media().matches ? "dark" : "light") : choice;
}

export function applyTheme(choice = themeChoice()) {
  document.documentElement.dataset.theme = effectiveTheme(choice);
}

export function setThemeChoice(choice: ThemeChoice) {
  if (choice === "system") localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  applyTheme(choice);
  window.dispatchEvent(new Event("berth-theme"));
}

/** Follow the system's changes while the choice is "system". */
export function watchSystemTheme() {
  media().addEventListener("change", () => applyTheme());
}
