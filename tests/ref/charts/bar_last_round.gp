# graft plot --kind bar, from rounds.csv
# Redraw with: gnuplot PATH/bar_last_round.gp (from any folder: the chart
# and its data are beside this script).  Every text is drawn noenhanced, as it
# is: strings in single quotes (a quote in them as "\047"), tic labels read
# from the data file.
set terminal pngcairo size 1000,345 font 'sans-serif,14' noenhanced background '#ffffff'
graft_dir(s) = (graft_i = strstrt(s, '/'), graft_i == 0 ? '' : s[1:graft_i] . graft_dir(s[graft_i + 1:]))
here = exists('ARG0') ? graft_dir(ARG0) : ''
set output here . 'bar_last_round.png'
datafile = here . 'bar_last_round.dat'
set encoding utf8
set lmargin at screen 0.1594
set rmargin at screen 0.9776
set tmargin at screen 0.8166
set bmargin at screen 0.3087
set label 'Percent; whiskers: 95 % confidence intervals' at screen 0.5685, screen 0.1409 center font 'sans-serif,14' textcolor rgb '#222222' front
# title and subtitle
set label 'police, by region' at screen 0.0187, screen 0.9110 left font 'sans-serif:Bold,18.2' textcolor rgb '#000000' front
# footnotes and source
set label 'Source: rounds.csv, Round 2, n = 591. 95 % CI, design-based.' at screen 0.0187, screen 0.0678 left font 'sans-serif,11.9' textcolor rgb '#555555' front
unset key
set border 1 lc rgb '#555555'
set xrange [0.0000:52.1998]
set yrange [0.4:4.20]
set xtics 0, 10, 52.2 nomirror out scale 0.5 format '%g %%' tc rgb '#222222'
set grid xtics lt 1 lc rgb '#e5e5e5'
set ytics nomirror scale 0 tc rgb '#333333'
set arrow from graph 0, first 2.80 to graph 1, first 2.80 nohead dt 3 lc rgb '#999999'
set bars 1.5
# the domains: tic labels read from the data (column 8)
plot datafile using (0):2:ytic(8) with points pt -1 notitle, \
     datafile using (0):2:(0):($6 == 0 ? $3 : NaN):($2 - 0.34):($2 + 0.34) with boxxyerror fc rgb '#56B4E9' fs solid 1.0 noborder notitle, \
     datafile using (0):2:(0):($6 == 1 ? $3 : NaN):($2 - 0.34):($2 + 0.34) with boxxyerror fc rgb '#0072B2' fs solid 1.0 noborder notitle, \
     datafile using 3:2:4:5 with xerrorbars pt -1 lw 1.5 lc rgb '#222222' notitle, \
     datafile using ($6 < 4 ? $7 : NaN):2:(sprintf('%.1f %%%s', $3, $6 == 2 || $6 == 3 ? '*' : '')) with labels left offset char 0.6,0 tc rgb '#222222' notitle
unset output
