export interface Toast {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

class Toasts {
  items = $state<Toast[]>([]);
  private next = 1;

  show(text: string, tone: Toast['tone'] = 'info', ms = 4000): void {
    const id = this.next++;
    this.items = [...this.items.slice(-2), { id, text, tone }];
    setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
