// A modal dialog on the native <dialog> element: the page behind is inert (focus stays inside),
// Escape and a click on the backdrop ask `onRequestClose` instead of closing on their own, so a
// dialog holding a secret can confirm first.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

let nextId = 0;

export function Dialog(props: {
  title: string;
  onRequestClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  size?: 'normal' | 'wide';
  testId?: string;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dialog-title-${++nextId}`);
  const requestClose = useRef(props.onRequestClose);
  requestClose.current = props.onRequestClose;

  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[data-autofocus]');
    first?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape') return;
      // Preventing the keydown stops the browser's own close request.
      event.preventDefault();
      event.stopPropagation();
      requestClose.current();
    };
    const onCancel = (event: Event) => {
      event.preventDefault();
      requestClose.current();
    };
    dialog.addEventListener('keydown', onKey);
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('keydown', onKey);
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      class={`dialog ${props.size === 'wide' ? 'dialog-wide' : ''}`}
      aria-labelledby={titleId.current}
      data-testid={props.testId}
      onMouseDown={(event) => {
        // The backdrop is the <dialog> element itself; its content sits in .dialog-body.
        if (event.target === ref.current) requestClose.current();
      }}
    >
      <div class="dialog-inner">
        <header class="dialog-header">
          <h2 id={titleId.current}>{props.title}</h2>
          <button type="button" class="icon-button" aria-label="Close" onClick={() => requestClose.current()}>
            ×
          </button>
        </header>
        <div class="dialog-body">{props.children}</div>
        {props.footer ? <footer class="dialog-footer">{props.footer}</footer> : null}
      </div>
    </dialog>
  );
}
